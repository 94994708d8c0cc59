"""Listening modes -> the phrase table the recognizer is built from and the parser mode.

"wake" and "session" share the language's table (only the parser differs). "choice" gets a
table of its own: the dialogue's choices (routine titles, "the usual") plus the commands that
make sense while choosing, so the recognizer's grammar contains every phrasing it may hear.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from voice_coach.commands import ListenMode, normalize
from voice_coach.listen.phrases import CommandPhrases, PhraseTable

log = logging.getLogger(__name__)

MODES: tuple[ListenMode, ...] = tuple(ListenMode)

CHOICE_COMMANDS = ("resume", "stop", "help", "repeat")
"""Commands still accepted while the user picks a routine."""

CHOICE_MIN_CONFIDENCE = 0.5
"""Lowest confidence accepted for a choice (a wrong routine is easy to leave again)."""

ChoiceKey = tuple[tuple[str, tuple[str, ...]], ...]


def command_table(table: PhraseTable, floor_scale: float = 1.0) -> PhraseTable:
    """``table`` for wake and session listening: no yes/no answers (no mode asks for them,
    and in the grammar "yes"/"no" steal short commands such as "next" and "help"), and
    every confidence floor (the distress words' too) scaled by ``floor_scale``."""
    commands = tuple(replace(g, min_confidence=g.min_confidence * floor_scale)
                     for g in table.commands)
    distress = table.distress and replace(
        table.distress, min_confidence=table.distress.min_confidence * floor_scale)
    return replace(table, commands=commands, answers=(), distress=distress)


def choice_key(choices: Mapping[str, Sequence[str]] | None) -> ChoiceKey:
    """A hashable, order-independent form of ``choices`` (for caching recognizers)."""
    if not choices:
        return ()
    return tuple(sorted((k, tuple(sorted(normalize(p) for p in v))) for k, v in choices.items()))


def choice_table(table: PhraseTable, choices: ChoiceKey, knows: Callable[[str], bool],
                 answers: Sequence[CommandPhrases] | None = None) -> PhraseTable:
    """``table`` reduced to CHOICE_COMMANDS plus one group per choice, without distress words
    (nothing is being done that a pause would stop).

    A choice without phrasings named like one of the table's answers ("yes", "no") gets the
    language's phrasings of that answer (``answers``: the table's own by default).
    Phrasings the recognizer cannot say (a word outside its vocabulary), taken by a command,
    or claimed by two choices are dropped with a log line: the rest still work.
    """
    commands = tuple(g for g in table.commands if g.command in CHOICE_COMMANDS)
    answer = {g.command: g.phrases for g in (table.answers if answers is None else answers)}
    choices = tuple((key, phrases or answer.get(key, ())) for key, phrases in choices)
    taken = {table.wake} | {p for g in commands for p in g.phrases}
    owners: dict[str, set[str]] = {}
    for key, phrases in choices:
        for phrase in phrases:
            owners.setdefault(phrase, set()).add(key)
    groups = []
    for key, phrases in choices:
        kept = []
        for phrase in phrases:
            unknown = [w for w in phrase.split() if not knows(w)]
            if not phrase or phrase in taken or len(owners[phrase]) > 1 or unknown:
                why = f"unknown words {unknown}" if unknown else "ambiguous"
                log.info("choice %s: phrase %r not listened for (%s)", key, phrase, why)
                continue
            kept.append(phrase)
        if kept:
            groups.append(CommandPhrases(key, tuple(kept), CHOICE_MIN_CONFIDENCE))
        else:
            log.warning("choice %s cannot be chosen by voice: no phrase the recognizer knows", key)
    listened = {p for g in groups for p in g.phrases}
    # A garbage word equal to a whole phrase would give the decoder a way to hide it.
    garbage = tuple(w for w in table.garbage if w not in listened)
    return replace(table, commands=commands + tuple(groups), answers=(), garbage=garbage,
                   distress=None)
