"""What the listener asks of a template spotter (personal/fusion.py), when a profile is loaded.

The listener owns the flow; the spotter hears the same cleaned signal as the recognizer and
answers: is the recognizer's command what the user's own takes sound like (``review``), and
which phrases did it hear on its own (``due``). Listen does not import the spotter, so the
listener without a profile is the listener of before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voice_coach.commands import ListenMode


@dataclass(frozen=True)
class Spot:
    """An enrolled phrase the templates heard, clearly better than every other command."""

    command: str
    phrase: str
    score: float
    """Mean cosine distance along the best template's path (lower is closer)."""
    margin: float
    """How much higher the next-best command scored."""
    start: int
    """Cleaned-clock sample where the phrase's voice started (estimate)."""
    end: int
    """Cleaned-clock sample where it ended (estimate)."""


@dataclass(frozen=True)
class Review:
    """The spotter's word on a command the recognizer heard."""

    command: str | None
    """The command to obey (the recognizer's, or the one the templates heard), None: none."""
    why: str = ""
    """Why it differs from the recognizer's, for the log."""


class Spotter(Protocol):
    description: str
    """One line for the start-up log."""

    def feed(self, cleaned: np.ndarray, mode: ListenMode) -> None:
        """The next stretch of what the recognizer hears, in the listener's ``mode``."""
        ...

    def review(self, command: str, start: int, end: int, safe: bool) -> Review:
        """The recognizer heard ``command`` in cleaned samples ``start:end``; ``safe``: a
        pause, stop or cry, which the templates may never drop."""
        ...

    def other_speech(self, start: int, end: int) -> None:
        """The recognizer heard words that are no command in ``start:end``."""
        ...

    def due(self, now: int) -> list[Spot]:
        """Spots whose wait for the recognizer's word on the same speech is over at cleaned
        sample ``now``."""
        ...

    def reset(self) -> None:
        """Drop what is pending (the listening mode changed)."""
        ...
