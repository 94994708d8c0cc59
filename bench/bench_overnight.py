"""Overnight false wakes: hours of an idle bedroom fed to the listener in wake mode.

While the coach is idle, ``run`` listens for the wake phrase only ("hey coach"); a false
wake at 3 a.m. is the coach speaking up in a dark room. This bench feeds a night of room
sound, block by block (20 ms), to the real Listener built as ``run`` builds it
(build_listener with the configured engine, set_mode("wake")), with the idle Player's
silence as the reference (the coach says nothing, so there is no echo), and counts every
wake it decides.

A night (``--hours``, default 8) is a seeded sequence of 5-minute segments, each one kind:
- talk (30 %): two or three other people in the room, each at their own distance and
  loudness (-42..-24 dBFS), sentences full of words near the wake phrase ("coach", "couch",
  "hey", "cook", "poach", "hey Joe", "hey Coco") and the listening bench's talk, with
  lulls; never the wake phrase itself (overnight_text.check_text refuses it, also across
  two clips);
- tv (30 %): a TV across the room (-40..-26 dBFS, a small loudspeaker without bass)
  reading generated programme paragraphs (news, weather, cooking, sport, nature, quiz),
  mostly in Piper's voice at four speeds, now and then a line of drama;
- noise (25 %): fan noise at -58..-40 dBFS with knocks, rustles, hisses and hums
  (voice_coach.sim.bumps) at -55..-25 dBFS;
- silence (15 %): a quiet room, -76..-66 dBFS of fan noise.
Every segment draws its own reverberation (RT60 0.2-0.7 s, synthetic_ir of the simulated
room) and background fan level; talk and TV segments sit on -68..-52 dBFS of fan noise.

Synthesizing eight hours of unique speech is too slow on this machine, so the speech comes
from a pool of about 35 minutes of distinct clips (115 sentences x 3 of 6 voices: Festival
kal/ked and four espeak-ng voices; 36 TV paragraphs, Piper joe at 0.9-1.2 and Festival)
and each segment assembles its part from that pool with its own room, levels, gaps and
order. Segments are rendered one at a time as the listener needs them.

A false wake is any wake the listener decides (the wake phrase alone or followed by a
command); each is listed with its night time, the segment's kind, what the listener heard
and what was being said. ``--plant N`` puts N real "hey coach" (Festival kal/ked, a user in
bed at -30..-22 dBFS, nobody else talking 1.5 s before to 2.5 s after) into the night: the
bench reports how many of them woke the listener, apart from the false wakes. A run that
hears none of them is broken.

Run: .venv/bin/python bench/bench_overnight.py [--hours 8] [--nights 1] [--seed 0]
     [--plant 0] [--engine auto|pocketsphinx|vosk --model DIR]
Prints a table and writes bench/results/overnight.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overnight_night import (  # noqa: E402
    PLANT_VOICES,
    RATE,
    SHARES,
    Event,
    Night,
    Segment,
    build_pool,
    plan_night,
    plan_plants,
)

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_PER_NIGHT = 1 / 7
"""At most one false wake a week."""
BLOCK = 320
"""Mic block, samples (20 ms, as ``run`` reads the microphone)."""
PLAYER_RATE = 22050
"""Rate of the bundled Piper voice, at which the idle Player taps its silence, Hz."""
PLANT_LATE_S = 2.5
"""A wake decided up to this long after a planted phrase ends is that phrase's."""
CONTEXT_S = 4.0
"""What was said this long before a false wake is listed with it, s."""


class NearMisses(logging.Handler):
    """The listener's debug lines for hypotheses that were the wake phrase but that the
    parser refused (confidence under the floor, too long): how close the night came."""

    def __init__(self, wake: str) -> None:
        super().__init__(logging.DEBUG)
        self.wake = wake
        self.pattern = re.compile(r"([\d.]+) s: not a command: (.*?) \((.*)\)$")
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = self.pattern.match(record.getMessage())
        if found and (found[2] == self.wake or found[2].startswith(self.wake + " ")):
            self.lines.append({"time": round(float(found[1]), 2), "text": found[2],
                               "why": found[3]})


@dataclass
class NightResult:
    night: int
    seed: int
    segments: list[Segment]
    heard: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    """Wake phrases the recognizer and parser produced that the listener's checks refused."""
    near: list[dict[str, Any]] = field(default_factory=list)
    """Wake phrases the recognizer produced that the parser refused (NearMisses)."""
    events: list[Event] = field(default_factory=list)
    cpu_s: float = 0.0
    audio_s: float = 0.0
    wall_s: float = 0.0


def run_night(night: int, seed: int, hours: float, plant: int, nightly: Night,
              config: Any, part: tuple[int, int] = (1, 1)) -> NightResult:
    from voice_coach.listen.build import build_listener

    listener = build_listener(config)
    listener.set_mode("wake")
    segments = plan_night(hours, seed)
    plants = plan_plants(segments, plant, seed)
    k, n = part  # the night's k-th of n stretches, to run a night on several cores
    segments = segments[(k - 1) * len(segments) // n:k * len(segments) // n]
    result = NightResult(night, seed, segments)
    near = NearMisses(listener.table.wake)
    logger = logging.getLogger("voice_coach.listen")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the debug lines are for the handler, not the console
    logger.addHandler(near)
    try:
        _feed(listener, segments, plants, nightly, result, hours)
    finally:
        logger.removeHandler(near)
        logger.propagate = True
    result.near = near.lines
    return result


def _feed(listener: Any, segments: list[Segment], plants: dict[int, Any], nightly: Night,
          result: NightResult, hours: float) -> None:
    silence = np.zeros(PLAYER_RATE * BLOCK // RATE, np.float32)
    wall = time.perf_counter()
    for seg in segments:
        mic, events = nightly.render(seg, plants.get(seg.index, ()))
        result.events += events
        for k in range(len(mic) // BLOCK):
            t = seg.start_s + k * BLOCK / RATE
            c0 = time.process_time()
            listener.add_reference(silence, t, PLAYER_RATE)
            heard = listener.process(mic[k * BLOCK:(k + 1) * BLOCK], t)
            result.cpu_s += time.process_time() - c0
            result.heard += [_heard(h) for h in heard]
            if listener.rejections:
                result.rejected += [{"time": round(when, 2), "command": cmd, "why": why}
                                    for when, cmd, why in listener.rejections]
                listener.rejections.clear()
        result.audio_s += len(mic) // BLOCK * BLOCK / RATE
        if (seg.index + 1) % 6 == 0 or seg is segments[-1]:
            print(f"  night {result.night + 1}: {_clock(seg.start_s + seg.seconds)} of "
                  f"{_clock(hours * 3600)}, {len(result.heard)} wakes, "
                  f"cpu {result.cpu_s / max(result.audio_s, 1e-9):.3f} s/s, "
                  f"wall {time.perf_counter() - wall:.0f} s", flush=True)
    result.heard += [_heard(h) for h in listener.flush()]
    result.wall_s = time.perf_counter() - wall


def _heard(h: Any) -> dict[str, Any]:
    return {"time": round(float(h.time), 2), "command": h.command, "text": h.text,
            "confidence": round(float(h.confidence), 3)}


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def score(result: NightResult) -> dict[str, Any]:
    """Each wake -> a planted phrase it answers, or a false wake with its kind and context;
    near misses away from the planted phrases, with theirs."""
    planted = [e for e in result.events if e.kind == "planted"]
    answered: set[int] = set()
    false = []
    for h in result.heard:
        t = h["time"]
        hit = next((i for i, e in enumerate(planted) if i not in answered
                    and e.start_s <= t <= e.end_s + PLANT_LATE_S), None)
        if hit is not None:
            answered.add(hit)
            continue
        false.append({**_explain(result, t), "heard": h["text"], "confidence": h["confidence"],
                      "command": h["command"]})
    near = [{**_explain(result, n["time"]), "heard": n["text"], "why": n["why"]}
            for n in result.near + result.rejected
            if not any(e.start_s <= n["time"] <= e.end_s + PLANT_LATE_S for e in planted)]
    missed = [{"night": result.night + 1, "time": _clock(e.start_s), "voice": e.voice}
              for i, e in enumerate(planted) if i not in answered]
    return {"false": false, "near": near, "planted": len(planted),
            "detected": len(answered), "missed": missed}


def _explain(result: NightResult, t: float) -> dict[str, Any]:
    """When ``t`` was in the night, the kind of its segment, and what was said just before."""
    seg = next((s for s in result.segments if s.start_s <= max(t - 0.5, 0)
                < s.start_s + s.seconds), result.segments[-1])
    said = [f"{e.text} [{e.voice}]" for e in result.events
            if e.kind != "planted" and e.start_s <= t and e.end_s >= t - CONTEXT_S]
    return {"night": result.night + 1, "time": _clock(t), "time_s": t, "kind": seg.kind,
            "said": said}


def poisson_upper(k: int, exposure: float, level: float = 0.95) -> float:
    """One-sided ``level`` upper bound of a Poisson rate seen ``k`` times in ``exposure``."""
    def cdf(mu: float) -> float:
        return sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k + 1))

    lo, hi = 0.0, 10.0 + 10.0 * k
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) > 1 - level else (lo, mid)
    return hi / exposure


def summarize(results: list[NightResult], scores: list[dict[str, Any]]) -> dict[str, Any]:
    nights = len(results)
    false = [f for s in scores for f in s["false"]]
    kinds = {}
    for kind in SHARES:
        hours = sum(s.seconds for r in results for s in r.segments if s.kind == kind) / 3600
        n = sum(f["kind"] == kind for f in false)
        kinds[kind] = {"hours": round(hours, 2), "false_wakes": n,
                       "per_hour": round(n / hours, 3) if hours else None,
                       "near_misses": sum(m["kind"] == kind for s in scores
                                          for m in s["near"])}
    audio = sum(r.audio_s for r in results)
    per_night = len(false) / nights
    return {
        "kinds": kinds,
        "hours": round(audio / 3600, 2),
        "false_wakes": len(false),
        "false_wakes_per_night": round(per_night, 3),
        "false_wakes_per_week": round(per_night * 7, 2),
        "per_night_95_upper": round(poisson_upper(len(false), nights), 2),
        "target_per_night": round(TARGET_PER_NIGHT, 3),
        "meets_target": per_night <= TARGET_PER_NIGHT,
        "cpu_s_per_audio_s": round(sum(r.cpu_s for r in results) / audio, 4),
        "planted": sum(s["planted"] for s in scores),
        "planted_detected": sum(s["detected"] for s in scores),
        "planted_missed": [m for s in scores for m in s["missed"]],
        "false_wake_list": false,
        "near_misses": [m for s in scores for m in s["near"]],
    }


def print_report(doc: dict[str, Any]) -> None:
    print(f"\n{doc['nights']} night(s) of {doc['hours_per_night']:g} h, wake phrase "
          f"{doc['wake_phrase']!r}, {doc['engine']}")
    print(f"{'material':10} {'hours':>6} {'false wakes':>12} {'per hour':>9} "
          f"{'near misses':>12}")
    for kind, row in doc["kinds"].items():
        per = "-" if row["per_hour"] is None else f"{row['per_hour']:.3f}"
        print(f"{kind:10} {row['hours']:6.2f} {row['false_wakes']:12d} {per:>9} "
              f"{row['near_misses']:12d}")
    print(f"{'all':10} {doc['hours']:6.2f} {doc['false_wakes']:12d} {'':>9} "
          f"{len(doc['near_misses']):12d}")
    verdict = "meets" if doc["meets_target"] else "MISSES"
    print(f"false wakes per night: {doc['false_wakes_per_night']:.3f} (per week "
          f"{doc['false_wakes_per_week']:.2f}; 95 % upper bound "
          f"{doc['per_night_95_upper']:.2f} per night); target <= "
          f"{doc['target_per_night']:.2f}: {verdict}")
    print(f"listener CPU s per audio s: {doc['cpu_s_per_audio_s']:.4f}")
    print("near miss: the recognizer heard the wake phrase, the parser or the listener's "
          "checks refused it")
    if doc["planted"]:
        print(f"planted 'hey coach': {doc['planted_detected']} of {doc['planted']} detected")
        for m in doc["planted_missed"]:
            print(f"  missed: night {m['night']} {m['time']} ({m['voice']})")
    for f in doc["false_wake_list"]:
        print(f"  FALSE WAKE night {f['night']} {f['time']} [{f['kind']}]: heard "
              f"{f['heard']!r} ({f['confidence']:.2f}); said: {' | '.join(f['said']) or '-'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=8.0, help="hours per night (default 8)")
    ap.add_argument("--nights", type=int, default=1, help="nights, each its own draw")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plant", type=int, default=0, metavar="N",
                    help="put N real wake phrases into each night (a check that wakes are "
                         "heard; reported apart from the false wakes)")
    ap.add_argument("--engine", choices=("auto", "pocketsphinx", "vosk"), default="auto",
                    help="the listener's recognizer, as [listen] engine (default auto)")
    ap.add_argument("--model", type=Path, default=None, metavar="DIR",
                    help="Vosk model directory (as [listen] vosk_model)")
    ap.add_argument("--cache", type=Path, default=RESULTS / "cache",
                    help="where synthesized speech is cached")
    ap.add_argument("--part", default="1/1", metavar="K/N",
                    help="run only the K-th of N equal stretches of each night (run the "
                         "others in other processes; the tables add up)")
    ap.add_argument("--out", type=Path, default=RESULTS / "overnight.json")
    args = ap.parse_args()
    if not args.hours > 0 or args.hours > 24:
        ap.error(f"--hours {args.hours:g}: give 0 < hours <= 24")
    if args.nights < 1 or args.plant < 0:
        ap.error("--nights must be >= 1 and --plant >= 0")
    try:
        part = tuple(int(x) for x in args.part.split("/"))
        if len(part) != 2 or not 1 <= part[0] <= part[1]:
            raise ValueError
    except ValueError:
        ap.error(f"--part {args.part}: give K/N with 1 <= K <= N, e.g. 2/3")

    from voice_coach.config import Config
    from voice_coach.errors import UserError
    from voice_coach.listen.build import choose_engine
    from voice_coach.sim.speakers import UserVoices

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = Config(engine=args.engine, vosk_model=args.model)
    try:
        engine = choose_engine(config)[1]
    except UserError as error:
        ap.error(str(error))
    started = time.perf_counter()
    print("speech pool:", flush=True)
    pool = build_pool(args.cache, args.seed, config.wake)
    voices = UserVoices(args.cache / "user-voices")
    wake_pcm = {v: voices.say(config.wake, v) for v in PLANT_VOICES}
    pool_min = sum(len(c.pcm) for c in pool) / RATE / 60
    print(f"  {len(pool)} clips, {pool_min:.1f} min of distinct speech "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    results, scores = [], []
    for night in range(args.nights):
        seed = args.seed * 1000 + night
        nightly = Night(pool, wake_pcm, config.wake, seed)
        result = run_night(night, seed, args.hours, args.plant, nightly, config,
                           (part[0], part[1]))
        results.append(result)
        scores.append(score(result))
    doc: dict[str, Any] = {
        "date": date.today().isoformat(), "engine": engine, "wake_phrase": config.wake,
        "hours_per_night": args.hours, "nights": args.nights, "seed": args.seed,
        "plant": args.plant, "part": args.part,
        "pool": {"clips": len(pool), "minutes": round(pool_min, 1),
                 "talk_clips": sum(c.source == "talk" for c in pool),
                 "tv_clips": sum(c.source == "tv" for c in pool),
                 "voices": sorted({c.voice for c in pool})},
        **summarize(results, scores),
        "nights_detail": [{"night": r.night + 1, "seed": r.seed, "audio_s": round(r.audio_s),
                           "cpu_s": round(r.cpu_s, 1), "wall_s": round(r.wall_s),
                           "wakes": r.heard, "rejected": r.rejected,
                           "segments": [asdict(s) for s in r.segments]} for r in results],
        "wall_s": round(time.perf_counter() - started),
    }
    print_report(doc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({doc['wall_s']} s)")


if __name__ == "__main__":
    main()
