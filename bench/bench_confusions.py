"""Confusion bench: which command the listener obeys for each phrase of the English table.

Every phrase of the table (plus the phrasings taken out of it, RETIRED, still said as a user
in the habit would) said by each voice at +6/0/-6 dB over the coach and in its gaps, in a
simulated room, fed to the real Listener block by block (the listening bench's scenes,
renderer and runner: listen_plan.py, scenes.py, listen_systems.py). Prints the phrase x
obeyed-command matrix (plus "missed"), wrong commands as % of commands said, the colliding
phrase pairs, and writes bench/results/confusions.json.

Two sets: "tuning" (the listening bench's own detection rooms and coach: phrases and the
close-call rule were chosen on these) and "held-out" (the same voices in rooms with other
reverberation, delay and room-response seeds, the coach at other rates, and a voice the
bench does not use): report on the held-out set.

With ``--distress`` the cries of pain of the listening bench (listen_plan.py: its listed and
held-out phrasings, each expected to pause) are said instead of the table's phrases: the
held-out set is then where the distress rule's changes are reported (bench/LISTENING.md).

Run: nice -n 19 .venv/bin/python bench/bench_confusions.py [--sets tuning,held-out]
     [--distress] [--jobs 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import listen_plan as lp  # noqa: E402
import scenes as sc  # noqa: E402
from bench_listen import prepare_shared, run_task  # noqa: E402
from listen_systems import RunResult  # noqa: E402
from scene_cache import load_scene  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

RETIRED = {"go on": "resume", "speak up": "louder", "how long is left": "status",
           "how much longer": "status"}
"""Phrasings taken out of the table (bench/LISTENING.md, "Wrong commands"), with the command
they meant: still said here, as a user in the habit would, so that the scenes are the same
before and after and what becomes of them is measured (ideally nothing)."""

HELD_OUT_ROOMS = {
    "bedroom-b": replace(sc.ROOMS["bedroom"], reverb_rt60_s=0.35, delay_s=0.05, seed=21),
    "fan-b": replace(sc.ROOMS["fan"], reverb_rt60_s=0.45, noise_db=-50.0, seed=22),
    "far-b": replace(sc.ROOMS["far"], reverb_rt60_s=0.4, delay_s=0.14, seed=23),
}
"""Rooms the phrase choices and the close-call rule never saw (other seeds draw other room
responses)."""
sc.ROOMS.update(HELD_OUT_ROOMS)  # here, so that the spawned workers have them too

SETS: dict[str, tuple[tuple[str, str, tuple[str, str, float]], ...]] = {
    "tuning": (("festival:kal", "fan", ("routine", "lower-back-hip", 1.0)),
               ("festival:ked", "bedroom", ("routine", "lower-back-hip", 1.2))),
    "held-out": (("festival:kal", "far-b", ("routine", "lower-back-hip", 1.2)),
                 ("festival:ked", "fan-b", ("routine", "lower-back-hip", 1.0)),
                 ("espeak:en+m3", "bedroom-b", ("routine", "lower-back-hip", 1.0))),
}
"""(voice, room, coach) of each scene, per set."""
OPPOSITE = {("pause", "resume"), ("back", "resume"), ("resume", "pause"), ("next", "back"),
            ("back", "next"), ("louder", "quieter"), ("quieter", "louder"),
            ("slower", "faster"), ("faster", "slower")}
"""(said, obeyed) pairs where obeying undoes what the user asked."""


def phrases() -> list[tuple[str, str]]:
    """(phrase, command) said: the table's and the retired ones, in a fixed order (sorted),
    so a scene stays the same whichever of them the table holds."""
    said = dict(lp.command_phrases(True))
    said.update({p: c for p, c in RETIRED.items() if p not in said})
    return sorted(said.items())


NEW_CRIES = ("ow, ow", "stop, my back", "it's a cramp", "that really hurts", "I'm in pain",
             "wait, please", "stop now", "my leg hurts", "please stop it", "ouch, my hip")
"""Cries said only here (``--distress``): neither the phrase table nor the listening bench
has them, and no change was chosen on them."""


def cries() -> list[tuple[str, str]]:
    """(cry, "pause") said in ``--distress`` runs."""
    return [(p, "pause") for p in lp.DISTRESS_LISTED + lp.DISTRESS_HELD_OUT + NEW_CRIES]


def plan_for(set_name: str, n: int, voice: str, room: str,
             coach: tuple[str, str, float], distress: bool = False) -> lp.Plan:
    said = cries() if distress else phrases()
    lines = [(p, c, voice, cond, lvl) for p, c in said for lvl in lp.LEVELS
             for cond in lp.CONDITIONS]
    order = np.random.default_rng(300 + n + (10 if set_name == "held-out" else 0)
                                  + (50 if distress else 0)).permutation(len(lines))
    name = f"{set_name}{' distress' if distress else ''} {voice} {room}"
    return lp.Plan(name, "detect", room, (coach,), tuple(lines[i] for i in order))


def build_task(plan: lp.Plan, cache: Path) -> str:
    scene = lp.build(plan, cache)
    return f"{plan.name}: {scene.seconds:.0f} s, {len(scene.said)} utterances"


def confusions(plans: list[lp.Plan], scenes: dict[str, Any], runs: list[RunResult],
               table: dict[str, str]) -> dict[str, Any]:
    """The matrix and the rates of one set (``table``: the phrases the listener knows)."""
    by_scene = {r.scene: r for r in runs}
    matrix: dict[str, Counter] = defaultdict(Counter)
    pairs: Counter = Counter()
    said_n = wrong_n = missed_n = right_n = opposite_n = pause_resume = 0
    wrong_retired = 0
    examples: list[dict[str, Any]] = []
    for plan in plans:
        heard = sorted(by_scene[plan.name].heard, key=lambda h: h.time)
        for s in scenes[plan.key].said:
            inside = [h for h in heard if s.start_s <= h.time <= s.end_s + sc.WINDOW_S]
            obeyed = [h.command for h in inside]
            row = matrix[s.text]
            for c in obeyed or ["missed"]:
                row[c] += 1
            others = [h for h in inside if h.command != s.command]
            if s.text not in table:  # retired: any command for it is a wrong one
                wrong_retired += bool(inside and any(h.command != s.command for h in inside))
                continue
            said_n += 1
            right_n += s.command in obeyed
            missed_n += not obeyed
            wrong_n += bool(others)
            opposite_n += any((s.command, h.command) in OPPOSITE for h in others)
            pause_resume += s.command == "pause" and "resume" in obeyed
            for h in others:
                pairs[(s.text, s.command, h.text, h.command)] += 1
                examples.append({"said": s.text, "voice": s.voice, "level_db": s.level_db,
                                 "condition": s.condition, "obeyed": h.command,
                                 "heard": h.text, "confidence": round(h.confidence, 3),
                                 "scene": plan.name, "time": round(h.time, 2)})
    cpu = sum(r.cpu_process_s for r in runs) / max(1e-9, sum(r.audio_s for r in runs))
    return {"said": said_n, "detected": right_n, "missed": missed_n, "wrong": wrong_n,
            "wrong_pct": round(100 * wrong_n / max(1, said_n), 2),
            "opposite": opposite_n, "pause_obeyed_as_resume": pause_resume,
            "retired_said": sum(1 for p in plans for s in scenes[p.key].said
                                if s.text not in table),
            "retired_obeyed_as_other": wrong_retired, "cpu_s_per_s": round(cpu, 4),
            "matrix": {p: dict(c) for p, c in sorted(matrix.items())},
            "pairs": [{"said": a, "command": b, "heard": c, "obeyed": d, "n": n}
                      for (a, b, c, d), n in pairs.most_common()],
            "wrong_examples": examples}


def misses(plans: list[lp.Plan], scenes: dict[str, Any], runs: list[RunResult]
           ) -> list[dict[str, Any]]:
    """Each utterance nothing was obeyed for, with what the listener logged about it."""
    by_scene = {r.scene: r for r in runs}
    out = []
    for plan in plans:
        run = by_scene[plan.name]
        for s in scenes[plan.key].said:
            end = s.end_s + sc.WINDOW_S
            if any(s.start_s <= h.time <= end for h in run.heard):
                continue
            out.append({"said": s.text, "voice": s.voice, "level_db": s.level_db,
                        "condition": s.condition, "scene": plan.name,
                        "log": [f"{t:.2f} {line}" for t, line in sorted(run.notes)
                                if s.start_s <= t <= end + 0.5]})
    return out


def cry_rates(plans: list[lp.Plan], scenes: dict[str, Any], runs: list[RunResult]
              ) -> dict[str, list[int]]:
    """[paused, said] of the cries per group: phrasing kind, voice, level x condition."""
    by_scene = {r.scene: r for r in runs}
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kinds = {**{p: "listed" for p in lp.DISTRESS_LISTED},
             **{p: "bench held-out" for p in lp.DISTRESS_HELD_OUT},
             **{p: "new here" for p in NEW_CRIES}}
    for plan in plans:
        heard = by_scene[plan.name].heard
        for s in scenes[plan.key].said:
            paused = any(s.start_s <= h.time <= s.end_s + sc.WINDOW_S and h.command == "pause"
                         for h in heard)
            for key in ("all", kinds.get(s.text, "other"), s.voice,
                        f"{s.level_db:+.0f} dB {s.condition}"):
                groups[key][0] += paused
                groups[key][1] += 1
    return dict(groups)


def print_set(name: str, doc: dict[str, Any], table: dict[str, str]) -> None:
    cols = [c for c in (*sorted({c for r in doc["matrix"].values() for c in r} - {"missed"}),
                        "missed")]
    print(f"\n== {name}: phrase x obeyed command (counts over voices, levels, conditions)")
    print(f"{'phrase':20} {'means':8} " + " ".join(f"{c[:7]:>7}" for c in cols))
    for phrase, row in doc["matrix"].items():
        means = table.get(phrase, "retired")
        print(f"{phrase:20} {means:8} " + " ".join(
            f"{row.get(c, 0) or '.':>7}" for c in cols))
    n = max(1, doc["said"])
    print(f"commands said {doc['said']}: detected {100 * doc['detected'] / n:.1f} %, "
          f"missed {100 * doc['missed'] / n:.1f} %, wrong command {doc['wrong_pct']:.2f} % "
          f"({doc['wrong']}; opposite {doc['opposite']}; pause obeyed as resume "
          f"{doc['pause_obeyed_as_resume']}); retired phrasings said {doc['retired_said']}, "
          f"obeyed as another command {doc['retired_obeyed_as_other']}; "
          f"CPU {doc['cpu_s_per_s']:.3f} s/s")
    if doc["pairs"]:
        print("colliding pairs (said -> heard as, obeyed):")
        for p in doc["pairs"]:
            print(f"  {p['said']!r} ({p['command']}) -> {p['heard']!r} ({p['obeyed']}) "
                  f"x{p['n']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="tuning,held-out")
    ap.add_argument("--distress", action="store_true",
                    help="say the cries of pain (expected: pause) instead of the phrases")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=RESULTS / "cache")
    ap.add_argument("--out", type=Path, default=RESULTS / "confusions.json")
    args = ap.parse_args()
    started = time.perf_counter()
    names = [s for s in args.sets.split(",") if s]
    plans = {n: [plan_for(n, i, *spec, distress=args.distress) for i, spec in enumerate(SETS[n])]
             for n in names}
    every = [p for n in names for p in plans[n]]
    prepare_shared(every, args.cache)
    table = dict(cries() if args.distress else lp.command_phrases(True))
    doc: dict[str, Any] = {"distress": args.distress, "table": table, "retired": RETIRED,
                           "sets": {}}
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        for info in pool.map(build_task, every, [args.cache] * len(every)):
            print(f"  {info}", flush=True)
        scenes = {p.key: load_scene(args.cache, p.key, mmap=True) for p in every}
        futures = {p.name: pool.submit(run_task, "listener", p, args.cache) for p in every}
        runs = {}
        for name, f in futures.items():
            r = f.result()
            runs[name] = r
            print(f"  ran {name}: {r.audio_s:.0f} s audio, cpu {r.cpu_process_s / r.audio_s:.3f}"
                  f" s/s, wall {r.wall_s:.0f} s", flush=True)
    for n in names:
        d = confusions(plans[n], scenes, [runs[p.name] for p in plans[n]], table)
        d["scenes"] = [{"name": p.name, "room": p.room, "coach": p.coach} for p in plans[n]]
        d["notes"] = {p.name: [(round(t, 2), line) for t, line in runs[p.name].notes
                               if "close call" in line] for p in plans[n]}
        d["misses"] = misses(plans[n], scenes, [runs[p.name] for p in plans[n]])
        if args.distress:
            d["cries"] = cry_rates(plans[n], scenes, [runs[p.name] for p in plans[n]])
            print(f"\n== {n}: cries heard as a pause")
            for key, (paused, said) in d["cries"].items():
                print(f"  {key:24} {paused:4d}/{said:<4d} {100 * paused / max(1, said):5.1f} %")
        doc["sets"][n] = d
        print_set(n, d, table)
    doc["wall_s"] = round(time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({doc['wall_s']} s)")


if __name__ == "__main__":
    main()
