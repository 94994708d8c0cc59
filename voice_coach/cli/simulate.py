"""``voice-coach simulate``: the real Session and Player driven by scripted commands at
virtual times, so behaviour can be heard and checked without a microphone."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from voice_coach.app.executor import LogEntry
from voice_coach.app.prepare import (
    block_size,
    check_output_path,
    make_session,
    prepare,
    session_rate,
)
from voice_coach.app.render import render
from voice_coach.app.script import parse_script
from voice_coach.cli.play import add_session_arguments, open_synthesizer
from voice_coach.commands import COMMANDS
from voice_coach.config import load_config
from voice_coach.errors import UserError
from voice_coach.paths import atomic_write_text
from voice_coach.speech import Player, WavWriter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="play a routine with commands given at set times (no microphone)",
        description='Drive a session with scripted commands, e.g. --script "12:pause,20:resume".',
    )
    parser.add_argument("routine", metavar="ROUTINE", help="routine id (see `list`) or file")
    parser.add_argument("--script", default="", metavar="T:CMD,...",
                        help='commands at stream seconds, e.g. "12:pause,20:resume,45:next"')
    parser.add_argument("--log", type=Path, default=None, metavar="FILE.jsonl",
                        help="write the event log as JSON lines")
    parser.add_argument("--max-seconds", type=float, default=4 * 3600.0, metavar="S",
                        help="stop rendering after this much stream time")
    add_session_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    script = parse_script(args.script, frozenset(COMMANDS), args.max_seconds)
    config = load_config(args.config)
    check_output_path(args.to)
    check_output_path(args.log, "--log", "events.jsonl")
    prepared = prepare(args.routine, config, args.from_section)
    volume = args.volume if args.volume is not None else config.volume
    session = make_session(prepared, session_rate(prepared, config, args.rate), volume)
    entries: list[LogEntry] = []

    def on_log(entry: LogEntry) -> None:
        entries.append(entry)
        if args.log is None and args.to is None:
            print(format_entry(entry))

    with open_synthesizer(args.voice or config.voice) as synthesizer:
        player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate),
                        volume=session.volume)
        if args.to is not None:
            with WavWriter(args.to, player.sample_rate) as wav:
                result = render(session, synthesizer, player, script=script, on_log=on_log,
                                sink=lambda block, _t: wav.write(block),
                                max_seconds=args.max_seconds)
        else:
            result = render(session, synthesizer, player, script=script, on_log=on_log,
                            max_seconds=args.max_seconds)
    if args.log is not None:
        try:
            atomic_write_text(args.log, "".join(json.dumps(asdict(e)) + "\n" for e in entries))
        except OSError as error:
            raise UserError(f"{args.log}: cannot write the log: {error.strerror}") from None
    print(f"simulated {result.seconds:.1f} s; state {session.state}", file=sys.stderr)
    return 0


def format_entry(entry: LogEntry) -> str:
    minutes, seconds = divmod(entry.time, 60)
    detail = " ".join(f"{k}={v}" for k, v in entry.detail.items() if v not in (None, ""))
    return f"{int(minutes):02d}:{seconds:05.2f} {entry.kind} {detail}"
