"""``voice-coach list``: the bundled and the user's routines with title and length."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voice_coach.config import add_config_argument, load_config
from voice_coach.errors import UserError
from voice_coach.routine.catalog import RoutineInfo, list_routines


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list",
        help="show the bundled and your own routines",
        description="Show the bundled routines and those in your routines folder.",
    )
    parser.add_argument("--routines-dir", type=Path, default=None, metavar="DIR",
                        help="folder of your own routines (default: routines_dir from the config)")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    user_dir = args.routines_dir or load_config(args.config).routines_dir
    if args.routines_dir is not None and not user_dir.is_dir():
        # A folder named on the command line that is not there is most likely a typo.
        why = "is not a folder" if user_dir.exists() else "no such folder"
        raise UserError(f"--routines-dir {user_dir}: {why}")
    infos = list_routines(user_dir)
    good = [info for info in infos if info.error is None]
    for line in format_table(good):
        print(line)
    if not user_dir.is_dir():
        print(f"(no routines of your own: the folder {user_dir} does not exist yet)")
    elif not any(info.source == "user" for info in infos):
        print(f"(no routines of your own in {user_dir})")
    for info in infos:
        if info.clashes:
            print(f"voice-coach: skipped routine: {info.error}", file=sys.stderr)
        elif info.error is not None:
            print(f"voice-coach: skipped broken routine: {info.error}", file=sys.stderr)
    return 0


def format_table(infos: list[RoutineInfo]) -> list[str]:
    """Aligned rows: id, title, length, source."""
    rows = [("ID", "TITLE", "LENGTH", "SOURCE")]
    rows += [(i.id, i.title, f"{round(i.minutes or 0)} min",
              "user, replaces bundled" if i.replaces else i.source) for i in infos]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    return [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip()
            for r in rows]
