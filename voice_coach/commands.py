"""The spoken-command vocabulary shared by the listener and the coach: the canonical command
names, the listening modes, and how a phrasing is compared (:func:`normalize`)."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

COMMANDS: tuple[str, ...] = (
    "pause", "resume", "next", "back", "repeat", "restart", "stop",
    "slower", "faster", "louder", "quieter", "status", "help",
)  # fmt: skip
"""Canonical command names: what the phrase tables map to and the Session understands."""
COSTLY_COMMANDS: tuple[str, ...] = ("stop", "restart", "next", "back")
"""Commands whose false acceptance costs the user their place in the routine."""
WAKE = "wake"
"""Command name reported for the wake phrase on its own."""


class ListenMode(StrEnum):
    """What the listener accepts: the wake phrase, a routine choice, or session commands."""

    WAKE = "wake"
    CHOICE = "choice"
    SESSION = "session"


_NON_WORD = re.compile(r"[^\w' ]+")


def normalize(text: str) -> str:
    """Lower-case, NFKC, punctuation (except apostrophes) to spaces, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    text = _NON_WORD.sub(" ", text.replace("_", " "))
    return " ".join(word.strip("'") for word in text.split() if word.strip("'"))
