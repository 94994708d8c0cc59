"""``voice-coach config``: write the commented default config or show the effective one."""

from __future__ import annotations

import argparse

from voice_coach import paths
from voice_coach.config import add_config_argument, load_config, render_config, write_default_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="create or show the config file",
        description="Create the commented default config (--init) or print the effective "
        "settings (--show, the default).",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--init", action="store_true", help="write the default config file")
    action.add_argument("--show", action="store_true", help="print the effective config")
    parser.add_argument("--force", action="store_true", help="with --init: overwrite")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.init:
        path = args.config or paths.default_config_path()
        write_default_config(path, force=args.force)
        print(f"wrote {path}")
        return 0
    config = load_config(args.config)
    where = config.source or f"{paths.default_config_path()} (not present: defaults)"
    print(f"# effective config from {where}")
    print(render_config(config), end="")
    return 0
