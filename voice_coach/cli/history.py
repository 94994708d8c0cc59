"""``voice-coach history``: the sessions played so far, from the state dir."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from voice_coach.app.progress import clock
from voice_coach.config import add_config_argument, load_config
from voice_coach.state_store import HistoryEntry, StateStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history",
        help="show past sessions",
        description="Show the sessions played by `voice-coach run`, oldest first.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--last", type=count, default=None, metavar="N",
                        help="only the N most recent sessions (1 or more)")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                        help="where progress and history live (default: XDG state dir)")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be 1 or more")
    return value


def run(args: argparse.Namespace) -> int:
    store = StateStore(args.state_dir)
    entries = store.history()
    if args.last is not None:
        entries = entries[-args.last:]
    if args.json:
        for entry in entries:
            print(json.dumps(asdict(entry)))
        return 0
    if not entries:
        print(f"no sessions yet ({store.history_path})")
        return 0
    print(f"{'started':<16}  {'routine':<22} {'sections':>8} {'pauses':>6} {'length':>7}  ended")
    for entry in entries:
        print(format_entry(entry))
    saved = store.load_progress()
    if saved is not None and not saved.finished:
        print(f"\nunfinished: {saved.routine_id}, {place(saved.routine_id, saved.cue_index)} "
              f'(say "{wake_phrase(args.config)}", then "resume")')
    return 0


def wake_phrase(config: Path | None) -> str:
    """The wake phrase in effect; a broken config must not hide the history."""
    from voice_coach.errors import UserError

    try:
        return load_config(config).wake
    except UserError:
        return "the wake phrase"


def place(routine_id: str, cue_index: int) -> str:
    """ "section 3 of 10 (Pelvic tilts)", or the cue number if the routine cannot be read."""
    from voice_coach.core.navigation import Sections
    from voice_coach.errors import UserError
    from voice_coach.routine import compile_routine, load_routine, resolve_routine

    try:
        cues = compile_routine(load_routine(resolve_routine(routine_id)))
        sections = Sections.of(cues)
        title = cues[cue_index].section_title
    except (UserError, IndexError):
        return f"step {cue_index + 1}"
    return f"section {sections.position(cue_index) + 1} of {sections.count} ({title})"


def format_entry(entry: HistoryEntry) -> str:
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.started))
    sections = f"{entry.sections_completed}/{entry.section_count}"
    return (f"{started:<16}  {entry.routine_id:<22} {sections:>8} {entry.pauses:>6} "
            f"{clock(entry.duration):>7}  {entry.how}")
