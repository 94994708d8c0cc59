"""Listening benchmark: commands heard while the coach talks, in a simulated room.

Scenes: Piper coach speech (bundled routines rendered with the real Session/Player, plus
coaching lines full of command words) through a simulated room (delay, reverb, speaker
distortion, fan noise), with user commands in voices other than the coach's at user-to-echo
levels +6/0/-6 dB, during coach speech and in its gaps; long coach-only, other-people-
talking and bumps (knocks, rustles, hums) scenes for false commands; and each voice's
commands alone (the clean upper bound). Cries of pain ("stop, it hurts", "ouch") in the
detection rooms, each expected to pause the coach (docs/safety.md), and the distress rule's
false pauses on the coach-only, talk and bumps scenes.
Each scene is fed block by block (20 ms) to the real Listener and to the baseline (keyword
spotting on the raw mic). Prints tables, writes bench/results/listen.json.

Run: .venv/bin/python bench/bench_listen.py [--quick] [--minutes-coach 30] [--minutes-talk 10]
     [--minutes-bumps 10] [--jobs 2] [--systems listener+duck,listener,raw-kws,oracle-kws]
     [--engine vosk --model DIR] [--kinds detect,distress,clean,coach,talk,bumps]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import listen_plan as lp  # noqa: E402
from listen_metrics import score  # noqa: E402
from listen_report import memory_probe, report  # noqa: E402
from listen_systems import SYSTEMS, RunResult, run  # noqa: E402
from scene_cache import load_scene  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def build_task(plan: lp.Plan, cache: Path) -> tuple[str, float]:
    t0 = time.perf_counter()
    scene = lp.build(plan, cache)
    return f"{plan.name}: {scene.seconds:.0f} s, {len(scene.said)} utterances", (
        time.perf_counter() - t0)


def run_task(system: str, plan: lp.Plan, cache: Path, engine: str = "pocketsphinx",
             model: Path | None = None) -> RunResult:
    scene = load_scene(cache, plan.key, mmap=True)
    assert scene is not None, plan.name
    mic = scene.mic
    if system == "oracle-kws":  # a perfect echo canceller: the user and the room noise only
        assert scene.echo is not None
        mic = np.asarray(scene.mic, np.float32) - np.asarray(scene.echo, np.float32)
    return run(system, plan.name, mic, scene.ref, scene.ref_rate, scene.echo, scene.room,
               engine, model)


KINDS = ("detect", "distress", "clean", "coach", "talk", "bumps")


def plans_for(args: argparse.Namespace) -> list[lp.Plan]:
    voices = lp.MAIN_VOICES if args.quick else lp.MAIN_VOICES + lp.STRESS_VOICES
    every = not args.quick
    plans = (lp.detect_plans(voices, every, args.quick) + lp.distress_plans(lp.MAIN_VOICES)
             + lp.clean_plans(voices, every) + lp.coach_plans(args.minutes_coach)
             + lp.talk_plans(args.minutes_talk) + lp.bump_plans(args.minutes_bumps))
    return [p for p in plans if p.kind in args.kinds]


def prepare_shared(plans: list[lp.Plan], cache: Path) -> None:
    """Coach renders, one at a time (they share Piper and its cache), before the pool."""
    seen = set()
    for plan in plans:
        for part in plan.coach + ((lp.FILLER,) if plan.kind in ("detect", "distress") else ()):
            if part not in seen:
                seen.add(part)
                t0 = time.perf_counter()
                stream = lp.coach_stream((part,), cache)
                print(f"  coach {part[1]}@{part[2]:g}: {stream.seconds:.0f} s "
                      f"({time.perf_counter() - t0:.1f} s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few minutes: fewer scenes")
    ap.add_argument("--minutes-coach", type=float, default=None,
                    help="coach-only speech for false commands (default 30, quick 3)")
    ap.add_argument("--minutes-talk", type=float, default=None,
                    help="other people talking for false commands (default 10, quick 1.5)")
    ap.add_argument("--minutes-bumps", type=float, default=None,
                    help="knocks, rustles and hums for false commands (default 10, quick 1.5)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--systems", default="listener+duck,listener,raw-kws,oracle-kws",
                    help="comma-separated: " + ", ".join(SYSTEMS))
    ap.add_argument("--engine", choices=("pocketsphinx", "vosk"), default="pocketsphinx",
                    help="the listener's recognizer (the baselines always use PocketSphinx)")
    ap.add_argument("--model", type=Path, default=None, metavar="DIR",
                    help="English Vosk model directory, with --engine vosk (e.g. from "
                         "`voice-coach models fetch vosk-model-small-en-us-0.15`)")
    ap.add_argument("--kinds", default=",".join(KINDS),
                    help="comma-separated scene kinds to run (a reduced run): " + ", ".join(KINDS))
    ap.add_argument("--cache", type=Path, default=RESULTS / "cache")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    args.minutes_coach = args.minutes_coach or (3.0 if args.quick else 30.0)
    args.minutes_talk = args.minutes_talk or (1.5 if args.quick else 10.0)
    args.minutes_bumps = args.minutes_bumps or (1.5 if args.quick else 10.0)
    if args.engine == "vosk" and (args.model is None or not args.model.is_dir()):
        ap.error("--engine vosk needs --model DIR, an English Vosk model directory")
    systems = [s for s in args.systems.split(",") if s]
    args.kinds = [k for k in args.kinds.split(",") if k]
    if unknown := set(args.kinds) - set(KINDS):
        ap.error(f"--kinds: unknown {', '.join(sorted(unknown))} (have {', '.join(KINDS)})")
    if not listener_available():
        print("voice_coach.listen.listener is not importable yet: running the baselines only")
        systems = [s for s in systems if not s.startswith("listener")]
    plans = plans_for(args)
    started = time.perf_counter()
    print("coach audio:", flush=True)
    prepare_shared(plans, args.cache)
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        print("scenes:", flush=True)
        for info, secs in pool.map(build_task, plans, [args.cache] * len(plans)):
            print(f"  {info} ({secs:.0f} s)", flush=True)
        scenes = {p.key: load_scene(args.cache, p.key, mmap=True) for p in plans}
        tasks = sorted(((s, p) for p in plans for s in systems),
                       key=lambda t: -scenes[t[1].key].seconds)  # type: ignore[union-attr]
        print(f"running {len(tasks)} scene x system tasks:", flush=True)
        futures = [pool.submit(run_task, s, p, args.cache, args.engine, args.model)
                   for s, p in tasks]
        results: list[RunResult] = []
        for f in futures:
            r = f.result()
            results.append(r)
            print(f"  {r.system:9} {r.scene:32} {r.audio_s:7.0f} s audio, "
                  f"cpu {r.cpu_process_s / r.audio_s:.3f} s/s, {len(r.heard)} decisions, "
                  f"wall {r.wall_s:.0f} s", flush=True)
    memory = None
    if any(s.startswith("listener") for s in systems):  # fresh: pool workers hold old scenes
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as probe:
            memory = probe.submit(memory_probe, plans[0], args.cache, args.engine,
                                  args.model).result()
    scored = {(r.system, r.scene): score(r.scene, scenes[p.key].said, r.heard)  # type: ignore[union-attr]
              for r in results for p in plans if p.name == r.scene}
    doc = report(plans, scenes, results, scored, memory, systems)
    doc["args"] = {k: str(v) for k, v in vars(args).items()}
    doc["wall_s"] = round(time.perf_counter() - started)
    out = args.out or RESULTS / ("listen-quick.json" if args.quick else "listen.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=_jsonable))
    os.replace(tmp, out)
    print(f"wrote {out} ({doc['wall_s']} s)")


def _jsonable(x: object) -> object:
    return asdict(x) if hasattr(x, "__dataclass_fields__") else str(x)  # type: ignore[arg-type]


def listener_available() -> bool:
    try:
        from voice_coach.listen.listener import Listener  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
