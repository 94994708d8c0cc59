"""Wake phrase from bed against calls that sound like it: a quick bench for wake rules.

The overnight bench (bench_overnight.py) takes an hour or more a night and is the reported
set; this one is the held-out set to try wake rules on before a night is run. Each trial is
one clip in its own room draw, fed to the real Listener in wake mode between stretches of
the room's fan noise:
- wake: the wake phrase said by the user from bed (-30..-22 dBFS, direct sound 6 dB over
  the reverberation), voices of WAKE_VOICES;
- call: somebody else in the room calling a name or saying a word near the wake phrase
  (-42..-24 dBFS, -3..6 dB direct), sentences of DEV_CALLS (or the overnight night's own
  near-wake sentences with ``--set night``, to report on, never to tune on).
A wake decided during a "wake" clip is a hit; during a "call" clip, a false wake.

Run: .venv/bin/python bench/bench_wake.py [--set dev|night] [--rooms 6] [--seed 0]
Prints a table and writes bench/results/wake-<set>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overnight_night import RATE, _pink, _wet  # noqa: E402
from overnight_text import NEAR_WAKE_SENTENCES  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BLOCK = 320
PLAYER_RATE = 22050
WAKE_VOICES = ("festival:kal", "festival:ked", "espeak:en-us", "espeak:en+m3",
               "piper:joe@1.1")
CALL_VOICES = ("festival:kal", "festival:ked", "espeak:en-us", "espeak:en+f3")
DEV_CALLS = (
    "Hey Cody, come and look at this.",
    "Hey Kobe, where are your shoes?",
    "Hey, Cora, is that you?",
    "Hey Connor, dinner is ready.",
    "Hey Coleman, nice to see you.",
    "Hey Cosmo, get off the bed.",
    "Hey Josh, turn that down.",
    "Hey, cold in here, isn't it?",
    "Hey, the coat is on the chair.",
    "Hey, cocoa is ready.",
    "Hey Colette.",
    "Hey Cody.",
    "Hey Kobe.",
    "Okay, coach said ten laps.",
    "Hey, coast is clear.",
    "Hey, go to sleep.",
    "Hey Conan.",
    "Hey Roman, over here.",
    "Hey Joel.",
    "Hey Cohen, got a minute?",
    "Hey Kim.",
    "Hey, cool it.",
)
"""Held-out calls near the wake phrase: none of them is in the overnight night's text."""


def night_calls() -> tuple[str, ...]:
    return tuple(s for s in NEAR_WAKE_SENTENCES if s.lower().startswith("hey"))


def trials(calls: tuple[str, ...], rooms: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for r in range(rooms):
        for v in WAKE_VOICES:
            out.append({"kind": "wake", "text": "hey coach", "voice": v, "room": r,
                        "level": float(rng.uniform(-30, -22)), "drr": 6.0})
        for text in calls:
            v = CALL_VOICES[int(rng.integers(len(CALL_VOICES)))]
            out.append({"kind": "call", "text": text, "voice": v, "room": r,
                        "level": float(rng.uniform(-42, -24)),
                        "drr": float(rng.uniform(-3, 6))})
    return out


class Lines(logging.Handler):
    """The listener's debug lines, to show what it made of a clip it did not obey."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def run(trial_list: list[dict[str, Any]], seed: int, cache: Path) -> list[dict[str, Any]]:
    from voice_coach.config import Config
    from voice_coach.listen.build import build_listener
    from voice_coach.sim.room import synthetic_ir
    from voice_coach.sim.speakers import UserVoices

    voices = UserVoices(cache / "user-voices")
    listener = build_listener(Config(engine="pocketsphinx"))
    listener.set_mode("wake")
    lines = Lines()
    logger = logging.getLogger("voice_coach.listen")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(lines)
    silence = np.zeros(PLAYER_RATE * BLOCK // RATE, np.float32)
    t = 0.0
    rooms: dict[int, tuple[float, float]] = {}
    room_rng = np.random.default_rng([seed, 1])
    for i, trial in enumerate(trial_list):
        if trial["room"] not in rooms:
            rooms[trial["room"]] = (float(room_rng.uniform(0.2, 0.7)),
                                    float(room_rng.uniform(-68, -52)))
        rt60, fan = rooms[trial["room"]]
        rng = np.random.default_rng([seed, 2, i])
        dry = voices.say(trial["text"], trial["voice"])
        dry = dry / max(float(np.sqrt(np.mean(dry[np.abs(dry) > 1e-3] ** 2))), 1e-6)
        wet = _wet(dry, synthetic_ir(rt60, trial["drr"], RATE, rng))
        wet *= np.float32(10 ** (trial["level"] / 20))
        pad = round(1.5 * RATE)
        mic = _pink(len(wet) + 2 * pad, fan, rng)
        mic[pad:pad + len(wet)] += wet
        heard: list[str] = []
        lines.lines.clear()
        for k in range(len(mic) // BLOCK):
            listener.add_reference(silence, t, PLAYER_RATE)
            for h in listener.process(mic[k * BLOCK:(k + 1) * BLOCK], t):
                heard.append(f"{h.text} ({h.confidence:.2f})")
                listener.set_mode("wake")
            t += BLOCK / RATE
        trial.update(rt60=round(rt60, 2), heard=heard,
                     log=[m for m in lines.lines if "not a command" in m or "refused" in m])
    return trial_list


def report(done: list[dict[str, Any]]) -> dict[str, Any]:
    wakes = [d for d in done if d["kind"] == "wake"]
    calls = [d for d in done if d["kind"] == "call"]
    per_voice = {v: f"{sum(bool(d['heard']) for d in wakes if d['voice'] == v)}/"
                    f"{sum(d['voice'] == v for d in wakes)}" for v in WAKE_VOICES}
    false = [d for d in calls if d["heard"]]
    print(f"{'wake from bed':20} {sum(bool(d['heard']) for d in wakes)}/{len(wakes)}")
    for v, s in per_voice.items():
        print(f"  {v:18} {s}")
    for d in wakes:
        if not d["heard"]:
            print(f"  missed [{d['voice']}, room {d['room']}]: {' | '.join(d['log'])[:150]}")
    print(f"{'false wakes':20} {len(false)}/{len(calls)} calls")
    for d in false:
        print(f"  {d['text']!r} [{d['voice']}, room {d['room']}]: {d['heard']}")
    return {"wakes": len(wakes), "heard": sum(bool(d["heard"]) for d in wakes),
            "per_voice": per_voice, "calls": len(calls), "false_wakes": len(false),
            "trials": done}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=("dev", "night"), default="dev")
    ap.add_argument("--rooms", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=RESULTS / "cache")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    calls = DEV_CALLS if args.set == "dev" else night_calls()
    started = time.perf_counter()
    done = run(trials(calls, args.rooms, args.seed), args.seed, args.cache)
    doc = {"set": args.set, "rooms": args.rooms, "seed": args.seed, **report(done),
           "wall_s": round(time.perf_counter() - started)}
    out = args.out or RESULTS / f"wake-{args.set}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    print(f"wrote {out} ({doc['wall_s']} s)")


if __name__ == "__main__":
    main()
