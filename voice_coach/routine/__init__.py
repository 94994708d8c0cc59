"""Routines: the YAML format, its validation, compilation to cues, and the catalog."""

from voice_coach.routine.catalog import (
    RoutineInfo,
    bundled_dir,
    default_user_dir,
    list_routines,
    resolve_routine,
)
from voice_coach.routine.compile import compile_routine, estimate_seconds
from voice_coach.routine.load import load_routine, parse_routine
from voice_coach.routine.model import (
    Block,
    Breathe,
    Hold,
    Pause,
    Repeat,
    Routine,
    Say,
    Section,
    Sides,
)

__all__ = [
    "Block", "Breathe", "Hold", "Pause", "Repeat", "Routine", "RoutineInfo", "Say",
    "Section", "Sides", "bundled_dir", "compile_routine", "default_user_dir",
    "estimate_seconds", "list_routines", "load_routine", "parse_routine", "resolve_routine",
]
