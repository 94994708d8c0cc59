"""What if the parser's confidence floors were different? A sweep over one uniform floor.

Candidates are the decisions each system made plus the hypotheses its parser rejected only
for confidence (from the log: "'stop' confidence 0.12 < 0.70"). With floor ``f`` a candidate
counts when its confidence is >= f. For the listener this is approximate: a hypothesis rejected
for confidence never reached the echo gate, which might have rejected it too.
"""

from __future__ import annotations

import re
from typing import Any

from listen_metrics import score, total
from listen_plan import MAIN_VOICES
from listen_systems import Detection, RunResult

FLOORS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
_CONFIDENCE = re.compile(r"'(\w+)' confidence ([0-9.]+) < ([0-9.]+)")


def candidates(run: RunResult) -> list[Detection]:
    out = list(run.heard)
    for t, line in run.notes:
        m = _CONFIDENCE.search(line)
        if m:
            out.append(Detection(m.group(1), t, line, float(m.group(2))))
    return out


def sweep(results: list[RunResult], said: dict[str, Any], kind: dict[str, str],
          hours: dict[str, float]) -> dict[str, list[dict[str, Any]]]:
    """Per system: one row per floor with detection and false commands per hour."""
    out: dict[str, list[dict[str, Any]]] = {}
    for system in dict.fromkeys(r.system for r in results):
        runs = [r for r in results if r.system == system]
        pool = {r.scene: candidates(r) for r in runs}
        rows = []
        for floor in FLOORS:
            outcomes, false = [], {"coach": 0, "talk": 0, "bumps": 0, "detect": 0}
            for r in runs:
                kept = [c for c in pool[r.scene] if c.confidence >= floor]
                s = score(r.scene, said[r.scene], kept)
                if kind[r.scene] == "detect":
                    outcomes += s.outcomes
                if kind[r.scene] in false:
                    false[kind[r.scene]] += len(s.false) + sum(len(o.wrong) for o in s.outcomes)
            main = [o for o in outcomes if o.said.voice in MAIN_VOICES]
            minus6 = [o for o in main if o.said.level_db == -6.0 and o.said.condition == "during"]
            h = {k: sum(v for n, v in hours.items() if kind[n] == k) for k in false}
            rows.append({"floor": floor, "detect_main": total(main).rate,
                         "detect_minus6_during": total(minus6).rate,
                         **{f"false_per_hour_{k}": (false[k] / h[k] if h[k] else None)
                            for k in false}})
        out[system] = rows
    return out


def print_sweep(table: dict[str, list[dict[str, Any]]]) -> None:
    print("\nConfidence floor sweep (one floor for every command instead of the table's; "
          "false = outside windows + wrong in windows)")
    print(f"{'system':16} {'floor':>5} {'main':>7} {'-6 dur':>7} {'coach/h':>8} {'talk/h':>7} "
          f"{'bumps/h':>8} {'detect/h':>8}")
    for system, rows in table.items():
        for r in rows:
            def f(x: float | None, spec: str) -> str:
                return "-" if x is None else format(x, spec)
            print(f"{system:16} {r['floor']:5.2f} {f(r['detect_main'], '7.1%')} "
                  f"{f(r['detect_minus6_during'], '7.1%')} "
                  f"{f(r['false_per_hour_coach'], '8.2f')} {f(r['false_per_hour_talk'], '7.2f')} "
                  f"{f(r.get('false_per_hour_bumps'), '8.2f')} "
                  f"{f(r['false_per_hour_detect'], '8.2f')}")
