"""The recognizer protocol shared by the Vosk and PocketSphinx engines.

Engines take 16 kHz mono int16 audio in blocks of any size and return final hypotheses
when they detect the end of an utterance. Times are seconds since the engine's stream
began (the first sample ever passed to ``accept``; ``reset`` does not restart the clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

"""Sample rate every engine expects, Hz."""


@dataclass(frozen=True)
class Word:
    word: str
    """Normalized word as decoded (garbage words included, so the parser can reject)."""
    confidence: float
    """Posterior probability of the word, 0..1."""
    start: float
    """Seconds since the start of the engine's stream."""
    end: float
    """Seconds since the start of the engine's stream."""


@dataclass(frozen=True)
class Hypothesis:
    text: str
    """All decoded words joined by spaces (normalized)."""
    words: tuple[Word, ...]
    start: float
    """Start of the utterance (speech segment), seconds in the engine's stream."""
    end: float
    """End of the utterance (last speech), seconds in the engine's stream."""
    decided: float
    """Stream time at which the engine produced this result (end + endpoint delay), s."""
    alternative: Hypothesis | None = None
    """The same utterance decoded again from a later start, where the closing signal alone
    would have opened it (engines that open utterances on an onset signal): the first
    decode may have taken in the coach's residual before the voice."""
    readings: tuple[str, ...] = ()
    """Other readings of the same utterance, best first (normalized, distinct, the best
    path's own text left out): the recognizer's N-best list, for the parser's close-call
    rule. Empty when the engine gives none."""
    wake_check: Callable[[], str] | None = None
    """For a text that begins with the wake phrase, the engine's own second look at it, run
    when called (only wake mode needs it): "" when the speech passes, else why not. None when
    the engine has no such check (then the wake phrase's confidence floor decides)."""


class Recognizer(Protocol):
    """A streaming recognizer restricted to a phrase table's phrases plus a garbage path."""

    def accept(self, pcm16: np.ndarray, vad16: np.ndarray | None = None,
               onset16: np.ndarray | None = None) -> list[Hypothesis]:
        """Feed int16 16 kHz mono samples; return hypotheses finished at endpoints.
        ``vad16`` / ``onset16``: the same stretch as heard by the endpointer, for engines
        that end / start utterances themselves."""
        ...

    def flush(self) -> list[Hypothesis]:
        """End the current utterance (e.g. end of file) and return what it held."""
        ...

    def reset(self) -> None:
        """Drop the utterance in progress (e.g. after the coach started speaking)."""
        ...


def as_int16(pcm: np.ndarray) -> np.ndarray:
    """Accept int16 as is; convert float (-1..1) to int16 with clipping."""
    pcm = np.asarray(pcm)
    if pcm.dtype == np.int16:
        return np.ascontiguousarray(pcm.reshape(-1))
    scaled = np.clip(pcm.astype(np.float32).reshape(-1), -1.0, 1.0) * 32767.0
    return np.round(scaled).astype(np.int16)
