"""``voice-coach enroll``: teach the coach your voice (takes kept in the state folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voice_coach.config import add_config_argument, load_config

TAKES = (2, 5)
"""Fewest and most takes per phrase."""


def _takes(value: str) -> int | Path:
    if value.isdigit():
        n = int(value)
        if not TAKES[0] <= n <= TAKES[1]:
            raise argparse.ArgumentTypeError(f"takes per phrase: {TAKES[0]} to {TAKES[1]}, "
                                             f"not {n}")
        return n
    return Path(value)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "enroll",
        help="teach the coach your voice: say each command a few times from bed",
        description="The coach names each phrase (the wake phrase and the main commands); "
                    "say it when the coach stops, a few times each. Takes are checked, "
                    "a bad one asked again, and kept as WAV files in the state folder; "
                    "nothing leaves the machine. About 2 minutes. Ctrl-C keeps the phrases "
                    "finished so far.",
    )
    parser.add_argument("enroll_command", nargs="?", default=None, metavar="COMMAND",
                        help="enroll (again) just this command, e.g. pause, or wake")
    parser.add_argument("--phrase", default=None, metavar="WORDS",
                        help="your own words for COMMAND, e.g. --phrase 'hold on'")
    parser.add_argument("--takes", type=_takes, default=3, metavar="N|DIR",
                        help="takes per phrase, 2-5 (default 3); or a folder of recordings "
                             "named <command>.<phrase-words>.<n>.wav to check and import")
    parser.add_argument("--list", action="store_true", help="show the profile and exit")
    parser.add_argument("--delete", nargs="?", const="", default=None, metavar="COMMAND",
                        help="delete COMMAND's takes, or with no COMMAND the whole profile "
                             "(asks first; --yes does not)")
    parser.add_argument("--yes", action="store_true",
                        help="delete the whole profile without asking")
    parser.add_argument("--profile", default="default", metavar="NAME",
                        help="profile name (default: default), or a folder path")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                        help="state folder holding voice/<profile> (default: XDG state dir)")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    from voice_coach.app import enroll_run
    from voice_coach.errors import UserError

    folder = enroll_run.profile_folder(args.profile, args.state_dir)
    if args.list:
        print("\n".join(enroll_run.list_lines(folder)))
        return 0
    if args.delete is not None:
        command = args.delete or args.enroll_command
        print(enroll_run.delete(folder, command,
                                (lambda _q: True) if args.yes else _confirm))
        return 0
    config = load_config(args.config)
    if isinstance(args.takes, Path):
        if args.enroll_command or args.phrase:
            raise UserError("--takes DIR imports every recording in DIR: give no COMMAND "
                            "or --phrase with it")
        outcomes = enroll_run.run_import(config, folder, args.takes)
        return 0 if all(o.saved for o in outcomes) else 1
    outcomes, interrupted = enroll_run.run_spoken(config, folder, args.enroll_command,
                                                  args.phrase, args.takes)
    if interrupted:
        return 130
    return 0 if all(o.saved for o in outcomes) else 1
