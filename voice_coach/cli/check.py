"""``voice-coach check FILE...``: validate routine files and print their estimated length."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voice_coach.errors import UserError
from voice_coach.routine.catalog import bundled_dir, routine_files
from voice_coach.routine.compile import compile_routine, estimate_seconds
from voice_coach.routine.load import RoutineErrors, load_routine
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
    loaded: list[Routine] = []
    for path in _expand(args.files):
        try:
            routine = load_routine(path)
        except RoutineErrors as errors:
            for problem in errors.problems:
                print(problem, file=sys.stderr)
            failed += 1
            continue
        except UserError as error:
            print(error, file=sys.stderr)
            failed += 1
            continue
        loaded.append(routine)
        seconds = estimate_seconds(compile_routine(routine), routine.rate)
        for warning in duration_warnings(routine, seconds) + bundled_warnings(routine):
            print(f"{path}: warning: {warning}", file=sys.stderr)
        print(f"{path}: OK — {routine.title}, {_plural(len(routine.sections), 'section')}, "
              f"{format_minutes(seconds)}")
    for line in clash_errors(loaded):
        print(line, file=sys.stderr)
        failed += 1
    return 1 if failed else 0


def clash_errors(routines: list[Routine]) -> list[str]:
    """One line per file whose id another checked file in the same folder also uses."""
    by_key: dict[tuple[Path, str], list[Path]] = {}
    for routine in routines:
        by_key.setdefault((routine.path.resolve().parent, routine.id), []).append(routine.path)
    lines = []
    for (_, routine_id), paths in by_key.items():
        for path in paths if len(paths) > 1 else []:
            others = ", ".join(str(p) for p in paths if p != path)
            lines.append(f"{path}: id '{routine_id}' is also used by {others}; "
                         "routines in one folder need different ids")
    return lines


def bundled_warnings(routine: Routine) -> list[str]:
    """Warn that a routine outside the package would replace a bundled one of the same id."""
    bundled = {load_routine(p).id: p for p in routine_files(bundled_dir())}
    same = bundled.get(routine.id)
    if same is None or same.resolve() == routine.path.resolve():
        return []
    return [f"id '{routine.id}' is a bundled routine's; in your routines folder this file "
            "replaces the bundled one"]


def duration_warnings(routine: Routine, seconds: float) -> list[str]:
    """Warn when the author's ``estimated_minutes`` disagrees strongly with the cues."""
    if routine.estimated_minutes is None:
        return []
    computed = seconds / 60.0
    difference = abs(routine.estimated_minutes - computed)
    if difference < 2.0 or difference <= ESTIMATE_TOLERANCE * computed:
        return []
    return [f"estimated_minutes is {routine.estimated_minutes:g}, but the routine adds up "
            f"to about {_plural(round(computed), 'minute')}"]


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
