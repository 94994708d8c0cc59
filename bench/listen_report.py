"""Tables and JSON for the listening benchmark, and the listener's memory probe."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from listen_metrics import Cell, SceneScore, cells, percentile, total
from listen_plan import DISTRESS_LISTED, LEVELS, MAIN_VOICES, Plan
from listen_sweep import print_sweep, sweep
from listen_systems import RunResult

TARGETS = {"detect_overall": 0.98, "detect_minus6_during": 0.95, "false_per_hour": 0.5,
           "latency_p95_ms": 350, "cpu_s_per_s": 0.10, "distress_heard": 0.97}


def _pct(cell: Cell | None) -> str:
    if cell is None or not cell.total:
        return "    -    "
    return f"{100 * cell.detected / cell.total:5.1f}% {cell.wrong:>2}w"


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def report(plans: list[Plan], scenes: dict[str, Any], results: list[RunResult],
           scored: dict[tuple[str, str], SceneScore], memory: dict | None,
           systems: list[str]) -> dict[str, Any]:
    kind = {p.name: p.kind for p in plans}
    hours = {p.name: scenes[p.key].seconds / 3600 for p in plans}
    doc: dict[str, Any] = {"targets": TARGETS, "systems": {}, "scenes": [
        {"name": p.name, "kind": p.kind, "room": p.room, "seconds": round(scenes[p.key].seconds),
         "utterances": len(scenes[p.key].said)} for p in plans]}
    by_sys = {s: {r.scene: r for r in results if r.system == s} for s in systems}
    detect = {s: [o for (sy, sc), v in scored.items() if sy == s and kind[sc] == "detect"
                  for o in v.outcomes] for s in systems}
    clean = {s: [o for (sy, sc), v in scored.items() if sy == s and kind[sc] == "clean"
                 for o in v.outcomes] for s in systems}
    distress = {s: [o for (sy, sc), v in scored.items() if sy == s and kind[sc] == "distress"
                    for o in v.outcomes] for s in systems}
    voices = list(dict.fromkeys(o.said.voice for s in systems for o in detect[s]))

    print("\nCommands detected (correct command within 1.5 s of the end of speech; "
          "w = wrong commands)")
    print(f"{'voice':16} {'level':>6} {'when':7} {'n':>4}  " + "  ".join(
        f"{s:>15}" for s in systems))
    for v in voices:
        _print_levels(detect, systems, v)
        for label, group in (("all", detect), ("clean bound", clean)):
            row = [total(o for o in group[s] if o.said.voice == v) for s in systems]
            print(f"{v:16} {label:>14} {row[0].total:>4}  " + "  ".join(
                f"{_pct(c):>15}" for c in row))

    if any(distress.values()):
        _print_distress(distress, systems)

    print("\nSummary (targets apply to the human-like voices " + ", ".join(MAIN_VOICES) + ")")
    header = f"{'':38}" + "".join(f"{s:>16}" for s in systems) + "   target"
    print(header)
    summaries = {s: _summary(s, detect[s], clean[s], by_sys[s], scored, kind, hours)
                 | _distress_summary(s, distress[s], scored, kind, hours) for s in systems}
    for s in summaries:
        if memory is not None and s.startswith("listener"):
            summaries[s]["peak_rss_mb"] = memory["peak_rss_mb"]
            summaries[s]["listener_rss_mb"] = memory["listener_rss_mb"]
    rows = [("detected, main voices", "detect_main", ".1%", ">= 98%"),
            ("detected, -6 dB during coach speech", "detect_minus6_during", ".1%", ">= 95%"),
            ("detected, stress voices", "detect_stress", ".1%", ""),
            ("clean bound, main voices", "clean_main", ".1%", ""),
            ("wrong commands in windows", "wrong_in_windows", "d", ""),
            ("  commands said obeyed as another", "wrong_share_main", ".2%", "<= 0.5%"),
            ("  a pause obeyed as resume", "pause_as_resume", "d", "0"),
            ("false/h, coach alone", "false_per_hour_coach", ".2f", "<= 0.5"),
            ("false/h, other people talking", "false_per_hour_talk", ".2f", "<= 0.5"),
            ("false/h, knocks, rustles, hums", "false_per_hour_bumps", ".2f", "<= 0.5"),
            ("false/h, detection scenes (echo)", "false_per_hour_detect", ".2f", ""),
            ("distress heard, main voices", "distress_main", ".1%", ">= 97%"),
            ("  listed phrasings", "distress_listed", ".1%", ""),
            ("  held-out phrasings", "distress_held_out", ".1%", ""),
            ("  -6 dB during coach speech", "distress_minus6_during", ".1%", ""),
            ("  in the coach's gaps", "distress_gap", ".1%", ""),
            ("  other commands in their windows", "distress_wrong", "d", ""),
            ("distress pauses/h, coach alone", "distress_per_hour_coach", ".2f", ""),
            ("distress pauses/h, other people talking", "distress_per_hour_talk", ".2f", ""),
            ("distress pauses/h, knocks, rustles, hums", "distress_per_hour_bumps", ".2f", ""),
            ("distress pauses/h, distress scenes", "distress_per_hour_distress", ".2f", ""),
            ("latency p50, ms", "latency_p50_ms", ".0f", ""),
            ("latency p95, ms", "latency_p95_ms", ".0f", "<= 350"),
            ("latency p95 on clean commands, ms", "latency_p95_clean_ms", ".0f", ""),
            ("compute in the deciding call p50, ms", "decision_cpu_p50_ms", ".0f", ""),
            ("compute in the deciding call p95, ms", "decision_cpu_p95_ms", ".0f", ""),
            ("latency p95 with that compute, ms", "latency_live_p95_ms", ".0f", ""),
            ("CPU s per audio s, process()", "cpu_process", ".3f", "<= 0.10"),
            ("CPU s per audio s, incl. reference", "cpu_total", ".3f", ""),
            ("CPU s/s on coach-only scenes", "cpu_coach", ".3f", ""),
            ("ducks per hour, coach alone", "ducks_per_hour_coach", ".1f", ""),
            ("time ducked, coach alone", "ducked_share_coach", ".1%", ""),
            ("ducks per hour, talk", "ducks_per_hour_talk", ".1f", ""),
            ("peak RSS of a listener process, MB", "peak_rss_mb", ".0f", ""),
            ("  of which the listener, MB", "listener_rss_mb", ".0f", "")]
    for label, key, spec, target in rows:
        print(f"{label:38}" + "".join(f"{_fmt(summaries[s].get(key), spec):>16}"
                                      for s in systems) + f"   {target}")
    hrs = {k: sum(h for n, h in hours.items() if kind[n] == k)
           for k in ("coach", "talk", "bumps")}
    print(f"(coach alone {hrs['coach'] * 60:.1f} min, talk {hrs['talk'] * 60:.1f} min, "
          f"bumps {hrs['bumps'] * 60:.1f} min)")

    for s in systems:
        false = [(sc, h) for (sy, sc), v in scored.items() if sy == s for h in v.false]
        if false:
            print(f"\nFalse commands, {s} ({len(false)}):")
            for sc, h in false[:25]:
                print(f"  {sc:32} {h.time:8.2f} s  {h.command:8} {h.text!r} "
                      f"conf {h.confidence:.2f}{' (distress)' if h.distress else ''}")
        doc["systems"][s] = {
            "summary": summaries[s],
            "cells": [{"voice": k[0], "level_db": k[1], "condition": k[2], **c.as_dict()}
                      for k, c in sorted(cells(detect[s], ("voice", "level_db", "condition"))
                                         .items(), key=str)],
            "clean": {v: total(o for o in clean[s] if o.said.voice == v).as_dict()
                      for v in voices},
            "false_commands": [{"scene": sc, "kind": kind[sc], **h.__dict__} for sc, h in false],
            "misses": _misses(detect[s] + distress[s] + clean[s], by_sys[s]),
            "outcomes": [[o.scene, o.said.text, o.said.level_db, o.said.condition, o.detected,
                          None if o.latency_s is None else round(o.latency_s, 3)]
                         for o in detect[s] + distress[s] + clean[s]],
            "runs": [{"scene": r.scene, "audio_s": round(r.audio_s, 1),
                      "cpu_process_s": round(r.cpu_process_s, 2),
                      "cpu_reference_s": round(r.cpu_reference_s, 2), "wall_s": round(r.wall_s)}
                     for r in by_sys[s].values()],
        }
        misses = Counter((o.said.voice, o.said.text) for o in detect[s] if not o.detected)
        if misses:
            print(f"\nMost missed phrases, {s}: " + ", ".join(
                f"{t!r} ({v.split(':')[1]}) x{n}" for (v, t), n in misses.most_common(12)))
    said = {p.name: scenes[p.key].said for p in plans}
    doc["floor_sweep"] = sweep(results, said, kind, hours)
    print_sweep(doc["floor_sweep"])
    doc["memory"] = memory
    return doc


def _misses(outcomes: list, runs: dict[str, RunResult]) -> list[dict[str, Any]]:
    """Every missed command with what the system's log said around it."""
    notes = {r.scene: sorted(r.notes) for r in runs.values()}
    out = []
    for o in outcomes:
        if o.detected:
            continue
        a, b = o.said.start_s, o.said.end_s + 1.5
        near = [f"{t:.2f} {line}" for t, line in notes.get(o.scene, []) if a <= t <= b + 0.5]
        out.append({"text": o.said.text, "voice": o.said.voice, "level_db": o.said.level_db,
                    "condition": o.said.condition, "scene": o.scene,
                    "start_s": round(o.said.start_s, 2), "end_s": round(o.said.end_s, 2),
                    "heard": o.heard_text, "wrong": list(o.wrong), "log": near})
    return out


def _summary(system: str, detect: list, clean: list, runs: dict[str, RunResult],
             scored: dict, kind: dict[str, str], hours: dict[str, float]) -> dict[str, Any]:
    main = [o for o in detect if o.said.voice in MAIN_VOICES]
    minus6 = [o for o in main if o.said.level_db == -6.0 and o.said.condition == "during"]
    stress = [o for o in detect if o.said.voice not in MAIN_VOICES]
    lat = [o.latency_s for o in main if o.latency_s is not None]
    lat_clean = [o.latency_s for o in clean if o.latency_s is not None]
    compute = [o.compute_s for o in main if o.compute_s is not None]
    lat_live = [o.latency_s + o.compute_s for o in main
                if o.latency_s is not None and o.compute_s is not None]

    def rate(outcomes: list) -> float | None:
        return total(outcomes).rate

    def per_hour(k: str) -> float | None:
        # Commands heard as whole phrases; the distress rule's pauses: _distress_summary.
        h = sum(hours[n] for n in hours if kind[n] == k)
        n = sum(len([f for f in v.false if not f.distress])
                for (sy, sc), v in scored.items() if sy == system and kind[sc] == k)
        return n / h if h else None

    def cpu(which: set[str], ref: bool = False) -> float | None:
        rs = [r for n, r in runs.items() if kind[n] in which]
        audio = sum(r.audio_s for r in rs)
        used = sum(r.cpu_process_s + (r.cpu_reference_s if ref else 0) for r in rs)
        return used / audio if audio else None

    def ducking(k: str) -> tuple[float | None, float | None]:
        rs = [r for n, r in runs.items() if kind[n] == k]
        audio = sum(r.audio_s for r in rs)
        if not audio or not any(r.ducks for r in rs) and system != "listener+duck":
            return None, None
        return sum(r.ducks for r in rs) / (audio / 3600), sum(r.ducked_s for r in rs) / audio

    everything = {"detect", "coach", "talk", "clean", "bumps"}
    duck_coach, duck_coach_share = ducking("coach")
    duck_talk, duck_talk_share = ducking("talk")
    p50, p95 = percentile(lat, 50), percentile(lat, 95)
    return {
        "detect_main": rate(main), "detect_minus6_during": rate(minus6),
        "detect_stress": rate(stress), "clean_main": rate(
            [o for o in clean if o.said.voice in MAIN_VOICES]),
        "wrong_in_windows": sum(len(o.wrong) for o in detect),
        "wrong_share_main": (sum(bool(o.wrong) for o in main) / len(main)) if main else None,
        "pause_as_resume": sum(o.said.command == "pause" and "resume" in o.wrong
                               for o in detect),
        "false_per_hour_coach": per_hour("coach"), "false_per_hour_talk": per_hour("talk"),
        "false_per_hour_bumps": per_hour("bumps"),
        "false_per_hour_detect": per_hour("detect"),
        "latency_p50_ms": None if p50 is None else p50 * 1000,
        "latency_p95_ms": None if p95 is None else p95 * 1000,
        "latency_max_ms": max(lat) * 1000 if lat else None,
        "latency_p95_clean_ms": None if not lat_clean else percentile(lat_clean, 95) * 1000,
        "decision_cpu_p50_ms": _ms(percentile(compute, 50)),
        "decision_cpu_p95_ms": _ms(percentile(compute, 95)),
        "latency_live_p95_ms": _ms(percentile(lat_live, 95)),
        "cpu_process": cpu(everything), "cpu_total": cpu(everything, ref=True),
        "cpu_coach": cpu({"coach"}),
        "ducks_per_hour_coach": duck_coach, "ducked_share_coach": duck_coach_share,
        "ducks_per_hour_talk": duck_talk, "ducked_share_talk": duck_talk_share,
    }


def _print_levels(outcomes: dict[str, list], systems: list[str], voice: str) -> None:
    """One row per level and condition of ``voice``: what each system heard."""
    for lvl in LEVELS:
        for cond in ("during", "gap"):
            row = [cells(outcomes[s], ("voice", "level_db", "condition")).get(
                (voice, lvl, cond)) for s in systems]
            n = next((c.total for c in row if c), 0)
            print(f"{voice:16} {lvl:+6.0f} {cond:7} {n:>4}  " + "  ".join(
                f"{_pct(c):>15}" for c in row))


def _print_distress(distress: dict[str, list], systems: list[str]) -> None:
    print("\nCries of pain heard as a pause (within 1.5 s of the end of speech; w = other "
          "commands)")
    print(f"{'voice':16} {'level':>6} {'when':7} {'n':>4}  " + "  ".join(
        f"{s:>15}" for s in systems))
    voices = list(dict.fromkeys(o.said.voice for s in systems for o in distress[s]))
    for v in voices:
        _print_levels(distress, systems, v)
        row = [total(o for o in distress[s] if o.said.voice == v) for s in systems]
        print(f"{v:16} {'all':>14} {row[0].total:>4}  " + "  ".join(
            f"{_pct(c):>15}" for c in row))
    phrases = list(dict.fromkeys(o.said.text for s in systems for o in distress[s]))
    print(f"\n{'phrasing':24} {'listed':>6}  " + "  ".join(f"{s:>15}" for s in systems))
    for text in phrases:
        row = [total(o for o in distress[s] if o.said.text == text) for s in systems]
        print(f"{text:24} {'yes' if text in DISTRESS_LISTED else 'no':>6}  " + "  ".join(
            f"{_pct(c):>15}" for c in row))


def _distress_summary(system: str, outcomes: list, scored: dict, kind: dict[str, str],
                      hours: dict[str, float]) -> dict[str, Any]:
    main = [o for o in outcomes if o.said.voice in MAIN_VOICES]

    def per_hour(k: str) -> float | None:
        h = sum(hours[n] for n in hours if kind[n] == k)
        n = sum(len([f for f in v.false if f.distress])
                for (sy, sc), v in scored.items() if sy == system and kind[sc] == k)
        return n / h if h else None

    return {
        "distress_main": total(main).rate,
        "distress_listed": total(o for o in main if o.said.text in DISTRESS_LISTED).rate,
        "distress_held_out": total(o for o in main if o.said.text not in DISTRESS_LISTED).rate,
        "distress_minus6_during": total(o for o in main if o.said.level_db == -6.0
                                        and o.said.condition == "during").rate,
        "distress_gap": total(o for o in main if o.said.condition == "gap").rate,
        "distress_wrong": sum(len(o.wrong) for o in main) if main else None,
        **{f"distress_per_hour_{k}": per_hour(k) for k in ("coach", "talk", "bumps",
                                                           "distress")},
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def memory_probe(plan: Plan, cache: Path, engine: str = "pocketsphinx",
                 model: Path | None = None, seconds: float = 300.0) -> dict[str, float]:
    """Peak RSS of a fresh process that runs only the listener on ``seconds`` of a scene."""
    import time

    from listen_systems import BLOCK_S, make_listener
    from scene_cache import load_scene

    scene = load_scene(cache, plan.key, mmap=True)
    assert scene is not None
    n = int(seconds * 16000)
    mic = np.array(scene.mic[:n], np.float32)
    rate = scene.ref_rate
    ref = np.array(scene.ref[: int(seconds * rate)], np.float32)
    del scene
    before = _status_kb("VmRSS")
    listener = make_listener(engine=engine, model=model)
    mn, rn = round(16000 * BLOCK_S), round(rate * BLOCK_S)
    t0 = time.process_time()
    for k in range(len(mic) // mn):
        listener.add_reference(ref[k * rn:(k + 1) * rn], k * BLOCK_S, rate)
        listener.process(mic[k * mn:(k + 1) * mn], k * BLOCK_S)
    peak = _status_kb("VmHWM")
    return {"seconds": seconds, "peak_rss_mb": peak / 1024, "before_listener_mb": before / 1024,
            "listener_rss_mb": (peak - before) / 1024,
            "cpu_s_per_s": (time.process_time() - t0) / seconds}


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0
