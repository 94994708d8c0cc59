"""``voice-coach check FILE...``: validate routine files and print their estimated length."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voice_coach.errors import UserError
from voice_coach.routine.catalog import routine_files
from voice_coach.routine.compile import compile_routine, estimate_seconds
from voice_coach.routine.load import load_routine
from voice_coach.routine.model import Routine

ESTIMATE_TOLERANCE = 0.25
"""How far ``estimated_minutes`` may stray from the computed length (as a fraction) before
``check`` warns; differences under two minutes never warn."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate routine files and print their estimated length",
        description="Validate routine YAML files. Exit status 1 if any file has an error.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="routine YAML file (or a folder of them)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in _expand(args.files):
        try:
            routine = load_routine(path)
        except UserError as error:
            print(error, file=sys.stderr)
            failed += 1
            continue
        seconds = estimate_seconds(compile_routine(routine), routine.rate)
        for warning in duration_warnings(routine, seconds):
            print(f"{path}: warning: {warning}", file=sys.stderr)
        print(f"{path}: OK — {routine.title}, {_plural(len(routine.sections), 'section')}, "
              f"{format_minutes(seconds)}")
    return 1 if failed else 0


def duration_warnings(routine: Routine, seconds: float) -> list[str]:
    """Warn when the author's ``estimated_minutes`` disagrees strongly with the cues."""
    if routine.estimated_minutes is None:
        return []
    computed = seconds / 60.0
    difference = abs(routine.estimated_minutes - computed)
    if difference < 2.0 or difference <= ESTIMATE_TOLERANCE * computed:
        return []
    return [f"estimated_minutes is {routine.estimated_minutes:g}, but the routine adds up "
            f"to about {computed:.0f} minutes"]


def format_minutes(seconds: float) -> str:
    """"about 17 min" (or "under 1 min")."""
    minutes = round(seconds / 60.0)
    return "under 1 min" if minutes < 1 else f"about {minutes} min"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _expand(names: list[str]) -> list[Path]:
    """Files as given; a folder stands for the routine files inside it."""
    paths: list[Path] = []
    for name in names:
        path = Path(name)
        paths.extend(routine_files(path) if path.is_dir() else [path])
    return paths
