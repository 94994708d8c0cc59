"""Soak: the daemon loop for an hour of virtual time with random commands at random moments.

Runs the real ``run`` loop (Daemon, Dialogue, Session, Piper, Player) through the simulated
room on a virtual clock. Commands are injected at the Heard level (as if the listener had
heard them), at random moments, so the soak exercises every state x command many times; the
microphone signal still goes through the room and, with ``--listener real``, through the real
Listener (whose own detections are posted too). Checked:

- no exception;
- invariants after every block (dialogue/session states agree, listener mode matches the
  state, cue index in range, pace/volume in bounds, saved progress on disk = last SaveProgress);
- resident memory growth from minute 5 to the end < 5 %;
- no audio buffer overruns: the listener's processing time per block is fed through a model of
  the live ring buffer (capacity ``RING_SECONDS``); it overruns when the backlog exceeds it.

Piper is warmed up before the clock starts (see ``warm_up``); the speech cache starts cold.
Prints a table and writes bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice_coach.app.virtual_scene import build_scene
from voice_coach.commands import COMMANDS
from voice_coach.config import Config
from voice_coach.core.choices import USUAL
from voice_coach.core.session import RATE_MAX, RATE_MIN, VOLUME_MAX, VOLUME_MIN
from voice_coach.speech import Synthesizer

RING_SECONDS = 2.0
"""Capacity of the live microphone ring buffer assumed by the overrun model."""
RESULTS = Path(__file__).resolve().parent / "results" / "soak.json"


@dataclass(frozen=True)
class Injected:
    command: str
    time: float
    text: str = "injected"
    confidence: float = 0.9


class NullListener:
    """Hears nothing (``--listener none``); every command is injected."""

    def set_mode(self, mode: str, choices: object = None) -> None: ...
    def add_reference(self, block: np.ndarray, start_time: float, rate: int) -> None: ...
    def process(self, mic_block: np.ndarray, start_time: float) -> list[object]:
        return []


class TimedListener:
    """Wraps a listener: remembers its mode and times each ``process`` call."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.mode = "wake"
        self.last = 0.0
        """Seconds the last ``process`` call took."""
        self.total = 0.0
        self.calls = 0
        self.histogram = np.zeros(2000, np.int64)
        """Call counts per 0.1 ms bin (the last bin collects everything slower)."""

    def set_mode(self, mode: str, choices: object = None) -> None:
        self.mode = mode
        self.inner.set_mode(mode, choices)  # type: ignore[attr-defined]

    def add_reference(self, block: np.ndarray, start_time: float, rate: int) -> None:
        self.inner.add_reference(block, start_time, rate)  # type: ignore[attr-defined]

    def process(self, mic_block: np.ndarray, start_time: float) -> list[object]:
        started = time.perf_counter()
        out = self.inner.process(mic_block, start_time)  # type: ignore[attr-defined]
        self.last = time.perf_counter() - started
        self.total += self.last
        self.calls += 1
        self.histogram[min(int(self.last * 10000), len(self.histogram) - 1)] += 1
        return out

    def percentile_ms(self, q: float) -> float:
        cumulative = np.cumsum(self.histogram)
        return float(np.searchsorted(cumulative, q / 100 * cumulative[-1])) / 10


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def pick(rng: random.Random, state: str, routines: list[str]) -> str:
    if state == "idle":
        return "wake" if rng.random() < 0.8 else rng.choice(COMMANDS)
    if state == "choosing":
        return rng.choice([*routines, *routines, USUAL, "resume", "resume", "help", "stop",
                           "nonsense"])
    if state == "starting":
        return rng.choice(["stop", "pause", "wake"])
    # In a session: mostly harmless commands so sessions get somewhere; stops are rarer.
    weights = {c: 3.0 for c in COMMANDS} | {"stop": 0.7, "restart": 0.7, "pause": 5.0,
                                            "resume": 6.0, "next": 4.0}
    names = list(weights)
    return rng.choices(names, [weights[n] for n in names])[0]


def check(scene, listener: TimedListener) -> None:  # noqa: ANN001 - bench helper
    d = scene.daemon.dialogue
    assert d.state in ("idle", "choosing", "starting", "in_session"), d.state
    assert (d.state == "in_session") == (d.session is not None), (d.state, d.session)
    expected = {"idle": "wake", "choosing": "choice"}.get(d.state, "session")
    assert listener.mode == expected, (listener.mode, d.state)
    s = d.session
    if s is not None:
        assert s.state in ("idle", "playing", "paused", "finished"), s.state
        assert 0 <= s.cue_index < len(s.cues)
        assert RATE_MIN - 1e-9 <= s.rate <= RATE_MAX + 1e-9
        assert VOLUME_MIN - 1e-9 <= s.volume <= VOLUME_MAX + 1e-9


def warm_up(synthesizer: Synthesizer, routines: list, sentences: int,
            rng: random.Random) -> None:  # noqa: ANN001 - RoutineOption list
    """Run Piper first on the routines' longest sentences at the extreme rates, and on random
    sentences of every length: ONNX Runtime's memory grows until it has seen its largest
    inputs, then stays flat. (Those results land in the soak's own throw-away cache.)"""
    from voice_coach.core import replies
    from voice_coach.core.sentences import split_sentences

    texts = sorted({t for r in routines for c in r.cues for t in split_sentences(c.text or "")},
                   key=len)
    rates = [round(RATE_MIN + 0.1 * i, 1) for i in range(round((RATE_MAX - RATE_MIN) / 0.1) + 1)]
    for text in [*texts[-10:], *replies.ALL_FIXED]:
        for rate in rates:
            synthesizer.synthesize(text, rate)
    words = " ".join(texts).split(" ")
    for _ in range(sentences):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(2, 30)))
        synthesizer.synthesize(text.capitalize() + ".", rng.choice((0.7, 0.8, 1.0, 1.2, 1.3)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--mean-gap", type=float, default=20.0,
                        help="mean seconds between injected commands")
    parser.add_argument("--listener", choices=["real", "none"], default="real")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=150,
                        help="sentences synthesized before the clock starts")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    config = Config()
    if args.listener == "real":
        from voice_coach.listen.build import build_listener

        inner: object = build_listener(config)
    else:
        inner = NullListener()
    listener = TimedListener(inner)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        # A cold speech cache of its own: the hour really runs Piper, as a fresh install does.
        synthesizer = Synthesizer(cache_dir=Path(tmp) / "tts")
        rss_start = rss_mb()
        scene = build_scene(config, (), state_dir=Path(tmp) / "state",
                            listener=listener, synthesizer=synthesizer)  # type: ignore[arg-type]
        options = list(scene.daemon.dialogue.routines.values())
        warm_up(synthesizer, options, args.warmup, random.Random(args.seed + 1))
        rss_warm = rss_mb()
        routines = list(scene.daemon.dialogue.routines)
        block_s = scene.player.block_size / scene.player.sample_rate
        injected, counts, rss = 0, {}, []
        own: list[tuple[object, ...]] = []  # what the listener itself heard (the coach?)
        next_cmd = rng.expovariate(1 / args.mean_gap)
        backlog = worst_backlog = 0.0
        overruns = 0
        end = args.minutes * 60.0
        minute = 0
        while scene.player.time < end:
            now = scene.player.time
            if now >= next_cmd:
                state = scene.daemon.dialogue.state
                command = pick(rng, state, routines)
                scene.daemon.post_heard(Injected(command, now))
                injected += 1
                counts[command] = counts.get(command, 0) + 1
                next_cmd = now + rng.expovariate(1 / args.mean_gap)
            scene.driver.step()
            check(scene, listener)
            own += [(round(e.time, 2), e.detail["command"], e.detail.get("text"),
                     e.detail.get("confidence"), e.detail.get("outcome")) for e in scene.log
                    if e.kind == "heard" and e.detail.get("text") != Injected.text]
            scene.log.clear()  # the soak keeps no event log: it would grow by itself
            if listener.calls:
                backlog = max(0.0, backlog + listener.last - block_s)
                worst_backlog = max(worst_backlog, backlog)
                if backlog > RING_SECONDS:
                    overruns += 1
                    backlog = RING_SECONDS
            if now >= minute * 60.0:
                rss.append((minute, rss_mb()))
                saved = scene.store.load_progress()
                assert saved == scene.daemon.dialogue.saved, (saved, scene.daemon.dialogue.saved)
                minute += 1
        scene.daemon.shutdown(scene.player.time)
        history = scene.store.history()
        scene.close()
    wall = time.monotonic() - started
    rss.append((minute, rss_mb()))
    base = next((mb for m, mb in rss if m >= 5), rss[0][1])
    growth = (rss[-1][1] - base) / base * 100.0
    result = {
        "virtual_minutes": round(scene.player.time / 60.0, 2),
        "wall_seconds": round(wall, 1),
        "listener": args.listener,
        "commands_injected_at_heard_level": injected,
        "commands_heard_total": scene.daemon.commands_heard,
        "listener_own_detections": scene.daemon.commands_heard - injected,
        "listener_own": own,
        "command_counts": dict(sorted(counts.items())),
        "sessions_recorded": len(history),
        "sessions_by_outcome": {h: sum(e.how == h for e in history)
                                for h in ("completed", "stopped", "interrupted")},
        "exceptions": 0,
        "invariant_checks": scene.driver.blocks,
        "warmup_sentences": args.warmup,
        "rss_mb_before_warmup": round(rss_start, 1),
        "rss_mb_after_warmup": round(rss_warm, 1),
        "rss_mb_minute5": round(base, 1),
        "rss_mb_end": round(rss[-1][1], 1),
        "rss_growth_percent_from_minute5": round(growth, 2),
        "listener_ms_per_block_mean": round(listener.total / max(listener.calls, 1) * 1000, 3),
        "listener_ms_per_block_p99": listener.percentile_ms(99),
        "listener_cpu_per_audio_second": round(listener.total / scene.player.time, 4),
        "ring_seconds_model": RING_SECONDS,
        "worst_backlog_seconds": round(worst_backlog, 3),
        "buffer_overruns": overruns,
        "save_failures": scene.daemon.save_failures,
        "rss_mb_by_minute": [[m, round(mb, 1)] for m, mb in rss],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print("Soak (commands injected at the Heard level; mic audio through the room"
          + (" and the real Listener)" if args.listener == "real" else ")"))
    rows = [(k, v) for k, v in result.items() if k not in ("rss_mb_by_minute", "command_counts")]
    for key, value in rows:
        print(f"  {key:<36} {value}")
    ok = growth < 5.0 and overruns == 0
    print(f"  {'verdict':<36} {'PASS' if ok else 'FAIL'}  -> {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
