"""The routines the Dialogue offers and the phrasings that pick each one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from voice_coach.commands import COMMANDS, normalize
from voice_coach.core import replies
from voice_coach.core.cues import Cue

USUAL = "usual"
"""Choice key for "the usual" (the routine played last)."""
USUAL_PHRASES = ("the usual", "same as last time", "the same again")
LEARN_VOICE = "learn-voice"
"""Choice key for the spoken enrollment ("learn my voice"): the coach learns the user's own
way of saying its commands."""
LEARN_VOICE_PHRASES = ("learn my voice", "learn my voice please")

_FILLER = frozenset({"a", "an", "and", "the", "of", "for", "with", "to", "my", "your"})


@dataclass(frozen=True)
class RoutineOption:
    """A routine the user can pick by voice, already loaded and compiled."""

    id: str
    title: str
    cues: tuple[Cue, ...]
    rate: float = 1.0
    """The routine's own speaking-rate factor (multiplied with the configured rate)."""
    closing: str = ""
    """The routine's own closing words; empty: the generic closing line."""
    safety_again: str = replies.SAFETY_AGAIN
    """The routine's short safety line (Session's ``safety_again``)."""


def choice_phrases(routines: Iterable[RoutineOption]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Phrasings for each routine: its title, its id as words, and the title's first one or
    two words (e.g. "lower back") when no other routine starts the same way."""
    options = list(routines)
    taken = {phrase for phrase in COMMANDS} | set(USUAL_PHRASES) | {"resume", "stop"} \
        | set(LEARN_VOICE_PHRASES)
    words = {r.id: [w for w in normalize(r.title).split() if w not in _FILLER] for r in options}
    out: list[tuple[str, tuple[str, ...]]] = []
    for r in options:
        own = [normalize(r.title), normalize(r.id.replace("-", " "))]
        for n in (2,):
            prefix = " ".join(words[r.id][:n])
            clashes = any(" ".join(words[o.id][:n]) == prefix for o in options if o.id != r.id)
            if prefix and not clashes and len(words[r.id]) >= n:
                own.append(prefix)
        phrases = tuple(p for p in dict.fromkeys(own) if p and p not in taken)
        taken.update(phrases)
        out.append((r.id, phrases))
    out.append((USUAL, USUAL_PHRASES))
    out.append((LEARN_VOICE, LEARN_VOICE_PHRASES))
    return tuple(out)
