"""``voice-coach models``: list and fetch speech models (work in progress)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list or download speech models")
    parser.set_defaults(func=lambda args: 0)
