"""Scoring for the listening benchmark: detections, false commands, latency, per condition.

A spoken command is detected when the system decides the right command between the start of
its speech and ``WINDOW_S`` after its end; any other command decided in that window is a wrong
(false) command. Anything decided outside every window is a false command too (the coach's
echo, other people talking, noise).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from listen_systems import Detection
from scenes import WINDOW_S, Said


@dataclass(frozen=True)
class Outcome:
    """What became of one spoken command."""

    scene: str
    said: Said
    detected: bool
    latency_s: float | None
    """First correct decision minus the end of the speech, s."""
    wrong: tuple[str, ...]
    """Other commands decided in the window."""
    heard_text: str
    """What the recognizer made of it (first decision in the window), "" if nothing."""
    compute_s: float | None = None
    """CPU time of the call that made the first correct decision, s (see Detection)."""


@dataclass
class SceneScore:
    outcomes: list[Outcome] = field(default_factory=list)
    false: list[Detection] = field(default_factory=list)
    """Decisions outside every command window (wrong commands in windows not included)."""


def score(scene: str, said: Sequence[Said], heard: Iterable[Detection]) -> SceneScore:
    heard = sorted(heard, key=lambda h: h.time)
    used = [False] * len(heard)
    result = SceneScore()
    for s in said:
        if s.command is None:
            continue
        inside = [i for i, h in enumerate(heard) if s.start_s <= h.time <= s.end_s + WINDOW_S]
        right = [i for i in inside if heard[i].command == s.command]
        wrong = tuple(heard[i].command for i in inside if heard[i].command != s.command)
        for i in inside:
            used[i] = True
        latency = heard[right[0]].time - s.end_s if right else None
        text = heard[inside[0]].text if inside else ""
        compute = heard[right[0]].compute_s if right else None
        result.outcomes.append(Outcome(scene, s, bool(right), latency, wrong, text, compute))
    result.false = [h for h, u in zip(heard, used, strict=True) if not u]
    return result


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


@dataclass
class Cell:
    """Aggregate over a set of spoken commands."""

    total: int = 0
    detected: int = 0
    wrong: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        self.total += 1
        self.detected += o.detected
        self.wrong += len(o.wrong)
        if o.latency_s is not None:
            self.latencies.append(o.latency_s)

    @property
    def rate(self) -> float | None:
        return self.detected / self.total if self.total else None

    def as_dict(self) -> dict[str, object]:
        p50, p95 = percentile(self.latencies, 50), percentile(self.latencies, 95)
        return {"total": self.total, "detected": self.detected,
                "rate": None if self.rate is None else round(self.rate, 4),
                "wrong_commands": self.wrong,
                "latency_p50_ms": None if p50 is None else round(p50 * 1000),
                "latency_p95_ms": None if p95 is None else round(p95 * 1000)}


def cells(outcomes: Iterable[Outcome], key: tuple[str, ...]) -> dict[tuple, Cell]:
    """Group outcomes by the given Said fields ("voice", "level_db", "condition")."""
    out: dict[tuple, Cell] = defaultdict(Cell)
    for o in outcomes:
        out[tuple(getattr(o.said, k) for k in key)].add(o)
    return dict(out)


def total(outcomes: Iterable[Outcome]) -> Cell:
    cell = Cell()
    for o in outcomes:
        cell.add(o)
    return cell
