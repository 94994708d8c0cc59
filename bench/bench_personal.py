"""Enrolled-voice benchmark (issue #17): the listener before and after the user enrolls.

For each bench voice: enrollment takes of the phrases its detection scene says plus the wake
phrase (sim/takes.py: rate +-15 %, pitch +-2 semitones, level +-6 dB, in the voice's room
with other room-response draws than its scene; "moved": recorded in another room position,
the "far" room's acoustics), written as a real profile and loaded as the app loads it
(personal/ears.py). Then the listening bench's scenes (listen_plan.py, scenes.py), run by the
real Listener fed block by block (listen_systems.py), without and with the profile: commands
detected, wrong commands, false commands over the coach alone / other people talking /
knocks, latency from end of speech to decision, listener CPU per audio second; the wake
phrase said from bed in wake mode; another voice saying the same phrases over the first
voice's profile. Prints a table, writes bench/results/personal.json.

Reduced to fit a shared 2-core machine (say so with the numbers): the coach in every scene is
the bench's coach-lines stream (the routines are not rendered), first phrases of each
command by default (--phrases all: every phrase).

Run: nice -n 19 .venv/bin/python bench/bench_personal.py [--voices festival:kal,festival:ked]
     [--phrases first|all] [--takes 2,3,5] [--minutes-false 2] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import listen_plan as lp  # noqa: E402
from listen_metrics import percentile, score, total  # noqa: E402
from listen_systems import RunResult, _Feed, _Notes, _run, make_listener  # noqa: E402
from scene_cache import load_scene, save_scene, scene_key  # noqa: E402
from scenes import ROOMS, Said, Scene  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
WAKE_REPEATS = 12
"""Wake phrases said from bed per voice."""
MOVED_ROOM = "far"
"""Acoustics of the other room position enrollment is recorded in (the "moved" profile;
"bedroom" for a voice tested in "far")."""


@dataclass(frozen=True)
class Job:
    label: str
    scene_key: str
    profile: str | None
    """Profile folder, None: the listener as before."""
    mode: str = "session"


def detect_plan(voice: str, n: int, all_phrases: bool) -> lp.Plan:
    """The bench's detection plan of ``voice`` with the coach-lines coach stream."""
    phrases = lp.command_phrases(all_phrases)
    lines = [(p, c, voice, cond, lvl) for p, c in phrases for lvl in lp.LEVELS
             for cond in lp.CONDITIONS]
    order = np.random.default_rng(100 + n).permutation(len(lines))
    room = lp.DETECT_COACH[voice][1]
    return lp.Plan(f"detect {voice}", "detect", room, (lp.FILLER,),
                   tuple(lines[i] for i in order))


def false_plans(minutes: float) -> list[lp.Plan]:
    """Coach alone, other people talking, knocks: the bench's, on the coach-lines stream."""
    talk = lp.talk_plans(minutes)[0]
    return [lp.Plan("coach alone", "coach", "fan", (lp.FILLER,), (), minutes * 60),
            replace(talk, coach=(lp.FILLER,)),
            replace(lp.bump_plans(minutes)[0], coach=(lp.FILLER,))]


def wake_scene(voice: str, room: str, cache: Path) -> tuple[str, Scene]:
    """``voice`` saying the wake phrase from bed, in the quiet room, every 5 s."""
    from voice_coach.sim.room import Room, active_frames, db
    from voice_coach.sim.speakers import UserVoices

    key = scene_key(["personal-wake", lp.VERSION, voice, room, WAKE_REPEATS])
    if load_scene(cache, key) is not None:
        return key, load_scene(cache, key)  # type: ignore[return-value]
    pcm = UserVoices(cache / "user-voices").say("hey coach", voice)
    params = ROOMS[room]
    rng = np.random.default_rng(7)
    world = Room(**asdict(params))
    said = []
    act = np.flatnonzero(active_frames(pcm))
    rms = float(np.sqrt(np.mean(pcm[act[0] * 320:(act[-1] + 1) * 320] ** 2)))
    for k in range(WAKE_REPEATS):
        t = 3.0 + 5.0 * k
        gain = -32.0 + rng.uniform(-6, 6) - db(rms)
        world.schedule(t, pcm, gain)
        said.append(Said("hey coach", "wake", voice, "gap", None, None,
                         t + act[0] * 0.02, t + (act[-1] + 1) * 0.02))
    seconds = 3.0 + 5.0 * WAKE_REPEATS
    mic = world.process(np.zeros(int(seconds * 16000), np.float32), 16000)
    scene = Scene(f"wake {voice}", "wake", np.zeros(len(mic), np.float32), 16000, mic,
                  tuple(said), room, np.zeros_like(mic))
    save_scene(scene, cache, key)
    return key, scene


def enroll(voice: str, phrases: list[tuple[str, str]], room: str, count: int, seed: int,
           cache: Path, out: Path) -> Path:
    """A profile folder of ``count`` takes of each phrase, recorded in ``room``."""
    from voice_coach.personal import profile
    from voice_coach.sim.takes import takes, write_profile

    folder = profile.profile_dir(out, f"p{seed}-{count}-{room}")
    if not folder.exists():
        params = replace(ROOMS[room], seed=ROOMS[room].seed + 100 * seed)
        write_profile(folder, takes(phrases, voice, count, params, seed,
                                    cache / "user-voices"))
    return folder


def run_job(job: Job, cache: Path) -> tuple[Job, RunResult | str]:
    try:
        return _run_job(job, cache)
    except Exception as error:  # one failed run is reported, the others still count
        return job, f"{type(error).__name__}: {error}"


def _run_job(job: Job, cache: Path) -> tuple[Job, RunResult]:
    from voice_coach.personal.ears import load_spotter

    scene = load_scene(cache, job.scene_key, mmap=True)
    assert scene is not None
    listener = make_listener()
    if job.profile is not None:
        listener.spotter = load_spotter(Path(job.profile))  # type: ignore[attr-defined]
        assert listener.spotter is not None, job.profile  # type: ignore[attr-defined]
    listener.set_mode(job.mode)  # type: ignore[attr-defined]
    notes = _Notes()
    logger = logging.getLogger("voice_coach.listen")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(notes)
    try:
        return job, _run(listener, job.label, scene.name, _Feed(scene.mic, scene.ref,
                                                                   scene.ref_rate), notes)
    finally:
        logger.removeHandler(notes)


def summary(scene: Scene, result: RunResult) -> dict[str, object]:
    scored = score(scene.name, scene.said, result.heard)
    cell = total(scored.outcomes)
    by_level = {}
    for level in lp.LEVELS:
        sub = total(o for o in scored.outcomes if o.said.level_db == level)
        by_level[f"{level:+g}"] = None if not sub.total else round(sub.rate or 0, 4)
    compute = [o.compute_s or 0.0 for o in scored.outcomes if o.detected]
    latency = [o.latency_s + (o.compute_s or 0.0) for o in scored.outcomes
               if o.latency_s is not None]
    templates = sum("heard on the user's takes" in text for _, text in result.notes)
    overruled = sum(" taken for " in text for _, text in result.notes)
    return {"said": cell.total, "detected": cell.detected,
            "rate": None if not cell.total else round(cell.rate or 0, 4),
            "wrong": cell.wrong, "by_level": by_level,
            "false": [(round(d.time, 2), d.command, d.text) for d in scored.false],
            "false_per_hour": round(len(scored.false) / result.audio_s * 3600, 2),
            "latency_p50_ms": _ms(percentile(latency, 50)),
            "latency_p95_ms": _ms(percentile(latency, 95)),
            "decision_compute_p95_ms": _ms(percentile(compute, 95)),
            "cpu_s_per_s": round(result.cpu_process_s / result.audio_s, 4),
            "audio_s": round(result.audio_s), "templates_alone": templates,
            "overruled": overruled}


def _ms(x: float | None) -> int | None:
    return None if x is None else round(x * 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--voices", default="festival:kal,festival:ked")
    ap.add_argument("--phrases", choices=("first", "all"), default="first")
    ap.add_argument("--takes", default="3", help="take counts to try, e.g. 2,3,5 (first = "
                    "the main one, used for the false-command and moved runs)")
    ap.add_argument("--minutes-false", type=float, default=2.0,
                    help="minutes of each of coach alone, talk and knocks")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=RESULTS / "cache")
    ap.add_argument("--out", type=Path, default=RESULTS / "personal.json")
    args = ap.parse_args()
    voices = [v for v in args.voices.split(",") if v]
    counts = [int(c) for c in args.takes.split(",")]
    started = time.perf_counter()
    cache: Path = args.cache
    profiles = Path(tempfile.mkdtemp(prefix="bench-personal-"))
    phrases = lp.command_phrases(args.phrases == "all")
    wake = [("hey coach", "wake")]
    plans = {v: detect_plan(v, n, args.phrases == "all") for n, v in enumerate(voices)}
    falses = false_plans(args.minutes_false)
    print("scenes:", flush=True)
    lp.coach_stream((lp.FILLER,), cache)
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        all_plans = list(plans.values()) + falses
        for plan, scene in zip(all_plans, pool.map(lp.build, all_plans,
                                                    [cache] * len(all_plans)), strict=True):
            print(f"  {plan.name}: {scene.seconds:.0f} s", flush=True)
        wakes = {v: wake_scene(v, plans[v].room, cache) for v in voices}
        print("enrollment:", flush=True)
        made: dict[tuple[str, str, int], Path] = {}
        for n, v in enumerate(voices):
            for c in counts:
                t0 = time.perf_counter()
                made[(v, "same", c)] = enroll(v, phrases + wake, plans[v].room, c, 1 + n,
                                              cache, profiles)
                print(f"  {v}: {c} takes per phrase ({time.perf_counter() - t0:.0f} s)",
                      flush=True)
            moved = MOVED_ROOM if plans[v].room != MOVED_ROOM else "bedroom"
            made[(v, "moved", counts[0])] = enroll(v, phrases + wake, moved, counts[0],
                                                   1 + n, cache, profiles)
        jobs: list[Job] = []
        keys = {p.name: p.key for p in all_plans}
        main_count = counts[0]
        for n, v in enumerate(voices):
            key = keys[plans[v].name]
            jobs.append(Job(f"{v} before", key, None))
            for c in counts:
                jobs.append(Job(f"{v} after {c} takes", key, str(made[(v, "same", c)])))
            jobs.append(Job(f"{v} after, moved", key, str(made[(v, "moved", main_count)])))
            other = voices[(n + 1) % len(voices)]
            if other != v:
                jobs.append(Job(f"{other} over {v}'s profile", keys[plans[other].name],
                                str(made[(v, "same", main_count)])))
            jobs.append(Job(f"{v} wake before", wakes[v][0], None, "wake"))
            jobs.append(Job(f"{v} wake after", wakes[v][0], str(made[(v, "same", main_count)]),
                            "wake"))
        for plan in falses:
            jobs.append(Job(f"{plan.name} before", plan.key, None))
            for v in voices:
                jobs.append(Job(f"{plan.name} after ({v})", plan.key,
                                str(made[(v, "same", main_count)])))
            jobs.append(Job(f"{plan.name} wake mode ({voices[0]})", plan.key,
                            str(made[(voices[0], "same", main_count)]), "wake"))
        print(f"running {len(jobs)} jobs:", flush=True)
        rows = {}
        for job, result in pool.map(run_job, jobs, [cache] * len(jobs)):
            if isinstance(result, str):
                print(f"  {job.label}: FAILED {result}", flush=True)
                continue
            scene = load_scene(cache, job.scene_key, mmap=True)
            assert scene is not None
            rows[job.label] = summary(scene, result)
            print(f"  {job.label}: {rows[job.label]['rate']} "
                  f"({result.cpu_process_s / result.audio_s:.3f} cpu s/s)", flush=True)
    doc = {"rows": rows, "args": {k: str(v) for k, v in vars(args).items()},
           "wall_s": round(time.perf_counter() - started)}
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({doc['wall_s']} s)")


def print_table(rows: dict[str, dict]) -> None:
    print(f"\n{'run':44} {'heard':>11} {'-6 dB':>6} {'wrong':>5} {'false/h':>7} "
          f"{'p95 ms':>6} {'cpu s/s':>7} {'tmpl':>4} {'over':>4}")
    for label, r in rows.items():
        heard = f"{r['detected']}/{r['said']}" if r["said"] else "-"
        minus6 = r["by_level"].get("-6")
        print(f"{label:44} {heard:>11} {'' if minus6 is None else f'{minus6:.0%}':>6} "
              f"{r['wrong']:>5} {r['false_per_hour']:>7} {r['latency_p95_ms'] or '':>6} "
              f"{r['cpu_s_per_s']:>7} {r['templates_alone']:>4} {r['overruled']:>4}")


if __name__ == "__main__":
    main()
