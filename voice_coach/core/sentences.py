"""Split a cue's text into sentences: the unit the coach speaks, interrupts and re-speaks.

Speaking one sentence at a time keeps a "pause" from losing more than one sentence and
lets "resume" restart exactly the sentence that was cut off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ENDINGS = re.escape(".!?…。！？")
_CLOSERS = re.escape("\"')]”’»")

# A sentence ends at terminal punctuation (optionally followed by closing quotes or
# brackets) and whitespace, unless the next word starts with a lower-case Latin letter:
# "e.g. your knee" and "3 p.m. tomorrow" stay whole, while Hangul or digits after a full
# stop start a new sentence. Full-width endings need no whitespace after them.
_BOUNDARY = re.compile(
    rf"(?<=[{_ENDINGS}])[{_CLOSERS}]*\s+(?![a-z])"
    rf"|(?<=[。！？])[{_CLOSERS}]*(?=\S)"
)

_ABBREVIATIONS = frozenset(
    {"e.g.", "i.e.", "mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "approx.", "no."}
)
"""Words whose full stop does not end a sentence even before a capital letter."""


def split_sentences(text: str | None) -> tuple[str, ...]:
    """The sentences of ``text`` in order, whitespace-normalized; ``()`` for no text."""
    if not text or not text.strip():
        return ()
    normalized = " ".join(text.split())
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(normalized):
        # Keep closing quotes with the sentence they close, drop the whitespace.
        end = match.start() + len(match.group(0).rstrip())
        pieces.append(normalized[start:end])
        start = match.end()
    pieces.append(normalized[start:])
    return tuple(_merge_abbreviations(p.strip() for p in pieces if p.strip()))


def _merge_abbreviations(pieces: Iterable[str]) -> list[str]:
    merged: list[str] = []
    for piece in pieces:
        if merged and _ends_with_abbreviation(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def _ends_with_abbreviation(sentence: str) -> bool:
    last_word = sentence.rsplit(" ", 1)[-1].lower()
    return last_word in _ABBREVIATIONS
