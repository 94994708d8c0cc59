"""Render benchmark: a whole routine rendered to audio (cold and warm speech cache), and the
stop latency of a spoken "pause" measured end to end through Session, Coach and Player.

Run: .venv/bin/python bench/bench_render.py [--routine lower-back-hip] [--trials 20]
Prints a table and writes bench/results/render.json.

Stop latency: the same session is rendered once without commands and once with "pause" at
a moment when the coach is speaking; the first sample where the two renders differ is where
the coach's voice was cut (the fade-out then lasts 5 ms). Latency = that point + fade - the
moment the command was heard.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from voice_coach.app.prepare import block_size, make_session, prepare
from voice_coach.app.render import render
from voice_coach.app.script import ScriptedCommand
from voice_coach.config import Config
from voice_coach.speech import Player, Synthesizer

RESULTS = Path(__file__).resolve().parent / "results" / "render.json"
FADE_S = 0.005


def render_audio(routine: str, synth: Synthesizer, script=(), max_seconds=4 * 3600.0):
    prepared = prepare(routine, Config())
    session = make_session(prepared, prepared.routine.rate, 0.8)
    player = Player(synth.sample_rate, block_size(synth.sample_rate), volume=session.volume)
    blocks: list[np.ndarray] = []
    spoken: list[tuple[float, float]] = []

    def on_log(entry) -> None:
        if entry.kind == "say" and entry.detail.get("cue") is not None:
            seconds = len(synth.synthesize(str(entry.detail["text"]), session.rate))
            spoken.append((entry.time, entry.time + seconds / synth.sample_rate))

    started = time.perf_counter()
    result = render(session, synth, player, sink=lambda b, _t: blocks.append(b.copy()),
                    script=script, on_log=on_log, max_seconds=max_seconds)
    wall = time.perf_counter() - started
    return np.concatenate(blocks), result.seconds, wall, spoken


def stop_latencies(routine: str, synth: Synthesizer, trials: int, seed: int) -> list[float]:
    horizon = 90.0
    baseline, _, _, spoken = render_audio(routine, synth, max_seconds=horizon + 3)
    rng = random.Random(seed)
    rate = synth.sample_rate
    results = []
    for _ in range(trials):
        start, end = rng.choice([s for s in spoken if s[1] - s[0] > 1.0 and s[1] < horizon])
        moment = rng.uniform(start + 0.2, end - 0.2)
        audio, *_ = render_audio(routine, synth, (ScriptedCommand(moment, "pause"),),
                                 max_seconds=moment + 2)
        n = min(len(audio), len(baseline))
        differs = np.flatnonzero(np.abs(audio[:n] - baseline[:n]) > 1e-4)
        cut = differs[0] / rate if len(differs) else float("nan")
        results.append((cut + FADE_S - moment) * 1000)
    return results


def speed(audio_s: float, wall_s: float) -> dict[str, float]:
    return {"wall_s": round(wall_s, 1), "x_realtime": round(audio_s / wall_s, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", default="lower-back-hip")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        synth = Synthesizer(cache_dir=Path(cache))
        _, cold_audio, cold_wall, _ = render_audio(args.routine, synth)
        synth.close()
        synth = Synthesizer(cache_dir=Path(cache))
        _, warm_audio, warm_wall, _ = render_audio(args.routine, synth)
        stops = stop_latencies(args.routine, synth, args.trials, args.seed)
        synth.close()
    report = {
        "routine": args.routine,
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "audio_seconds": round(cold_audio, 1),
        "cold_cache": speed(cold_audio, cold_wall),
        "warm_cache": speed(warm_audio, warm_wall),
        "stop_latency_ms": {
            "trials": len(stops),
            "mean": round(statistics.fmean(stops), 1),
            "p95": round(sorted(stops)[int(0.95 * (len(stops) - 1))], 1),
            "max": round(max(stops), 1),
        },
    }
    rows = [
        ("routine length", f"{cold_audio / 60:.1f} min"),
        ("render, cold cache", f"{cold_wall:.1f} s wall = {cold_audio / cold_wall:.1f}x real time"),
        ("render, warm cache", f"{warm_wall:.1f} s wall = {warm_audio / warm_wall:.1f}x real time"),
        ("stop latency ('pause' -> voice cut)",
         "mean {mean} ms, p95 {p95} ms, max {max} ms".format(**report["stop_latency_ms"])),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
