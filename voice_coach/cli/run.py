"""``voice-coach run``: the hands-free coach on the microphone and speaker, until stopped."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from voice_coach.config import LOG_LEVELS, add_config_argument, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the hands-free coach (say the wake phrase, then a routine)",
        description="Listen for the wake phrase and coach by voice until stopped "
                    "(Ctrl-C or SIGTERM save the place and exit cleanly).",
    )
    add_config_argument(parser)
    parser.add_argument("--log-level", dest="run_log_level", default=None,
                        type=str.upper, choices=LOG_LEVELS,
                        help="logging threshold (default: the config's log_level)")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                        help="where progress and history are kept (default: XDG state dir)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voice_coach.app.live_run import run_live

    config = load_config(args.config)
    level = args.run_log_level or config.log_level
    # The top-level --log-level wins when given explicitly (it is not the default).
    if getattr(args, "log_level", "WARNING") != "WARNING" and args.run_log_level is None:
        level = args.log_level
    logging.getLogger().setLevel(getattr(logging, level))
    return run_live(config, state_dir=args.state_dir)
