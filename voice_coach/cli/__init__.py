"""Command-line entry point: parses arguments and hands off; no behaviour lives here.

Each sub-command lives in a module of this package exposing ``register(subparsers)``, which
adds its parser and sets ``func`` to a ``run(args) -> int`` function.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from voice_coach import __version__
from voice_coach.errors import UserError

COMMAND_MODULES: tuple[str, ...] = (
    "config", "devices", "models", "check", "list",
    "play", "simulate", "history", "run", "enroll", "demo", "detect", "selftest", "mic_test",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voice-coach",
        description="Offline, hands-free guided-exercise coach.",
    )
    parser.add_argument("--version", action="version", version=f"voice-coach {__version__}")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level (default: WARNING)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"voice_coach.cli.{name}").register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so every half-written file is removed on the
    way out (a systemd stop, a closed terminal)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _terminate(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextmanager
def _signals_unwind() -> Iterator[None]:
    # Only the main thread may set handlers (tests call main() from others, too); ``run``
    # sets its own SIGTERM handler for its loop and restores this one after.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, _terminate) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


DASH_VALUES = ("--script",)
"""Options whose value may begin with "-" ("-5:pause"): argparse would take it for an option
and say only "expected one argument"; passed on, the value gets its own clear error."""


def _join_dash_values(argv: list[str]) -> list[str]:
    out: list[str] = []
    values = iter(argv)
    for arg in values:
        if arg in DASH_VALUES:
            value = next(values, None)
            if value is not None and value.startswith("-"):
                out.append(f"{arg}={value}")
                continue
            out.append(arg)
            if value is not None:
                out.append(value)
            continue
        out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_dash_values(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with _signals_unwind():
            code = int(args.func(args) or 0)
            sys.stdout.flush()  # here, so a closed pipe is caught below, not at exit
            return code
    except BrokenPipeError:
        # The reader went away (``| head -1``): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except UserError as error:
        print(f"voice-coach: {error}", file=sys.stderr)
        return error.exit_code
    except Terminated as stop:
        print(f"voice-coach: stopped by {stop}", file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:
        print("voice-coach: interrupted", file=sys.stderr)
        return 130
