"""Flatten a Routine into the cue list that the Session plays, and estimate its length."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from voice_coach.core.cues import SENTENCE_GAP, Cue, CueKind, estimate_cue_seconds
from voice_coach.routine.model import (
    Block,
    Breathe,
    Hold,
    Pause,
    Repeat,
    Routine,
    Safety,
    SafetyLine,
    Say,
    Section,
    Sides,
    fill_block,
)

NUMBER_WORDS: tuple[str, ...] = (
    "Zero.", "One.", "Two.", "Three.", "Four.", "Five.",
    "Six.", "Seven.", "Eight.", "Nine.", "Ten.",
)
"""Countdown words, spelled out so every voice reads them the same way."""

_Part = tuple[CueKind, str | None, float, bool]
"""kind, text, seconds, and whether it is a safety line."""


def compile_routine(routine: Routine) -> tuple[Cue, ...]:
    """All cues of ``routine`` in playing order; ``step`` is the top-level block index.

    The routine's safety lines are placed here, so no routine can leave them out: the first
    right after the opening (the first section's first block, when it is a ``say``), the
    effort line at the start of each effortful section (effortful blocks: the loader)."""
    cues: list[Cue] = []
    for section_index, section in enumerate(routine.sections):
        for step, block in enumerate(_with_safety(section, section_index == 0)):
            for kind, text, seconds, safety in _expand(block, routine.safety):
                cues.append(Cue(
                    index=len(cues),
                    section=section_index,
                    section_title=section.title,
                    step=step,
                    kind=kind,
                    text=text,
                    seconds=seconds,
                    safety=safety,
                ))
    return tuple(cues)


def _with_safety(section: Section, first: bool) -> tuple[Block, ...]:
    blocks = list(section.blocks)
    if section.effortful:
        blocks.insert(0, SafetyLine("effort"))
    if first:
        opening = 1 if blocks and isinstance(blocks[0], Say) else 0
        blocks.insert(opening, SafetyLine("first"))
    return tuple(blocks)


def estimate_seconds(cues: Sequence[Cue], rate: float = 1.0,
                     sentence_gap: float = SENTENCE_GAP) -> float:
    """Expected playing time of ``cues`` at speaking/pacing ``rate``, in seconds."""
    return sum(estimate_cue_seconds(cue, rate, sentence_gap) for cue in cues)


def _expand(block: Block, safety: Safety) -> Iterator[_Part]:
    match block:
        case Say(text=text):
            yield "say", text, 0.0, False
        case SafetyLine(kind=kind):
            yield "say", getattr(safety, kind), 0.0, True
        case Pause(seconds=seconds):
            yield "pause", None, seconds, False
        case Hold():
            yield from ((*part, False) for part in _hold(block))
        case Breathe():
            yield from ((*part, False) for part in _breathe(block))
        case Repeat(times=times, blocks=blocks):
            for _ in range(times):
                for inner in blocks:
                    yield from _expand(inner, safety)
        case Sides(sides=sides, blocks=blocks):
            for side in sides:
                for template in blocks:
                    filled = fill_block(template, side)
                    assert not isinstance(filled, Section)  # the loader unrolled those
                    yield from _expand(filled, safety)


def _hold(hold: Hold) -> Iterator[tuple[CueKind, str | None, float]]:
    # The countdown takes the last seconds of the hold, one spoken number per second.
    first = hold.seconds - hold.countdown
    if first > 0 or hold.text:
        yield "hold", hold.text, first
    for number in range(hold.countdown, 0, -1):
        yield "count", NUMBER_WORDS[number], 1.0


def _breathe(breathe: Breathe) -> Iterator[tuple[CueKind, str | None, float]]:
    spoken = breathe.count if breathe.spoken is None else breathe.spoken
    for n in range(breathe.count):
        loud = n < spoken
        yield "breath", breathe.cues[0] if loud else None, breathe.inhale
        if breathe.hold > 0:
            yield "breath", breathe.hold_cue if loud else None, breathe.hold
        yield "breath", breathe.cues[1] if loud else None, breathe.exhale
