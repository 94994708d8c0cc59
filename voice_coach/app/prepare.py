"""Turns what the user asked for (a routine name, a section, a rate) into a ready Session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voice_coach.audio import BLOCKS_PER_SECOND
from voice_coach.config import RATE_RANGE, Config
from voice_coach.core.cues import Cue
from voice_coach.core.session import Session
from voice_coach.errors import UserError
from voice_coach.routine import Routine, compile_routine, load_routine, resolve_routine


@dataclass(frozen=True)
class Prepared:
    """A loaded routine, its cues, and where playback begins."""

    routine: Routine
    cues: tuple[Cue, ...]
    start_index: int
    """Cue index the session starts at (0 unless a section was asked for)."""


def prepare(name: str, config: Config, from_section: int | None = None) -> Prepared:
    """Load and compile routine ``name`` (an id or a path); ``from_section`` is 1-based."""
    path: Path = resolve_routine(name, config.routines_dir)
    routine = load_routine(path)
    cues = compile_routine(routine)
    return Prepared(routine, cues, section_start(cues, from_section, routine.id))


def section_start(cues: tuple[Cue, ...], from_section: int | None, routine_id: str) -> int:
    if from_section is None:
        return 0
    count = cues[-1].section + 1 if cues else 0
    if not 1 <= from_section <= count:
        raise UserError(
            f"--from-section {from_section}: routine '{routine_id}' has sections 1-{count}"
        )
    return next(cue.index for cue in cues if cue.section == from_section - 1)


def session_rate(prepared: Prepared, config: Config, requested: float | None) -> float:
    """``--rate`` if given, else the routine's own pace times the user's preference."""
    if requested is not None:
        return requested
    low, high = RATE_RANGE
    return min(max(config.rate * prepared.routine.rate, low), high)


def check_output_path(path: Path | None, option: str = "--to",
                      example: str = "session.wav") -> None:
    """Fail before a long render, not after it, when ``option``'s file cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"{path}: is a folder; {option} needs a file name such as {example}")
    if not path.parent.is_dir():
        ancestor = next(p for p in path.parents if p.exists())
        if not ancestor.is_dir():
            raise UserError(f"{path}: {ancestor} is a file, not a folder")
        raise UserError(f"{path}: folder {path.parent} does not exist")


def make_session(prepared: Prepared, rate: float, volume: float) -> Session:
    return Session(
        prepared.routine.id,
        prepared.cues,
        title=prepared.routine.title,
        rate=rate,
        volume=volume,
        start_index=prepared.start_index,
        closing=prepared.routine.closing or None,
        safety_again=prepared.routine.safety.again,
    )


def block_size(sample_rate: int) -> int:
    return sample_rate // BLOCKS_PER_SECOND
