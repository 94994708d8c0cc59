"""Recognizer hypotheses -> commands, strictly: whole phrases only, confident, short.

A command is accepted only when the whole utterance is exactly one phrase of the table
(after normalization). Anything else — garbage words, a command word inside a sentence,
two commands run together — is rejected, because the coach's own lines are full of command
words. The combined confidence is the lowest word confidence, and each command has its own
minimum (a false "stop" costs a session, a false "pause" a second), lowered for phrases of
three words or more.

Close calls (docs/listening.md): when another reading of the same utterance, among the
recognizer's N-best (Hypothesis.readings), is a whole phrase of a different command and the
phrase heard is not sure of itself (CLOSE_CALL_CONFIDENCE), the parser does not flip the coin:
it takes the safer of the two when one is pause or stop (SAFE_ORDER), else nothing. A resume
whose rival reading is a pause is always a close call: obeying "go on" for "hold on" is the
costliest mistake the coach can make.

One exception, on purpose asymmetric (docs/safety.md): outside wake mode, a short utterance
that is no phrase but holds a distress word anywhere ("stop, it hurts", "ow", "I need to stop")
is a "pause". A false pause costs the user one word; a missed cry of pain costs their trust, or
an injury. Whether the words were the user's (a voice, not the coach's echo) is still checked
after the parser, as for every command.

The wake phrase, when the engine checks it itself (Hypothesis.wake_check, PocketSphinx's
phone check): the engine's word decides, and the wake words' confidence does not count. From
bed, in a reverberant room, the user's "hey coach" got lower posteriors than "Hey Cody." said
across the room (bench/WAKE.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from voice_coach.commands import WAKE, normalize
from voice_coach.listen.engines.base import Hypothesis
from voice_coach.listen.phrases import PhraseTable

log = logging.getLogger(__name__)

MODES = ("wake", "session", "answer")
"""wake: only the wake phrase (optionally followed by a command); session: bare commands;
answer: yes/no plus bare commands."""

LONG_PHRASE_WORDS = 3
"""Phrases of this many words or more need only LONG_PHRASE_FLOOR of their command's floor."""
LONG_PHRASE_FLOOR = 0.3
"""Fraction of the confidence floor a long phrase must reach: its lowest word confidence is
that of a short word ("i", "the") and says little, and an exact match of three words is
evidence of its own. (bench/LISTENING.md)"""

SECONDS_PER_WORD = 0.9
"""Longest plausible duration of one spoken command word, s (slow, sleepy speech)."""
DISTRESS_MAX_WORDS = 6
"""Longest utterance, in words heard, that the distress rule reads: a cry is short (the
longest on the listening bench, "stop, I have a cramp", is five words, and the recognizer may
add one); other people's sentences ("my brother cannot stop talking about his new bicycle")
run longer. (docs/safety.md)"""
CLOSE_CALL_CONFIDENCE = 0.6
"""Lowest word confidence (0..1) of the phrase heard below which a rival reading of another
command makes the utterance a close call. (bench/LISTENING.md)"""
SAFE_ORDER = ("pause", "stop")
"""In a close call involving one of these, the first of them present is obeyed: both silence
the coach and keep the place; anything else is a coin flip, and nothing is obeyed."""
NEVER_FOR = {"resume": "pause"}
"""Command -> rival reading that always makes it a close call, however confident: "go on"
obeyed for "hold on" restarts the coach for someone who asked it to stop talking."""
DISTRESS_SUPPORT = 3
"""A distress word heard below its floor still counts when each of this many next-best
readings of the utterance (the engine's N-best list) holds a distress word too: a word
confidence is the posterior of one path through the recognizer's lattice, which a cry
decoded at several nearby boundaries, or as "ow" and "ouch" in turn, shares between them.
(bench/LISTENING.md, "Cries of pain")"""
LONG_PHRASE_MAX_WORD_S = 0.85
"""Longest any one word of a long phrase may last, s: someone else's sentence forced into a
long phrase stretches one word over several real ones. (bench/LISTENING.md)"""


@dataclass(frozen=True)
class ParsedCommand:
    command: str
    """Canonical command name, "wake", "yes" or "no"."""
    confidence: float
    """Lowest word confidence of the phrase, 0..1."""
    text: str
    """The normalized phrase heard."""
    time: float
    """Stream time at which the recognizer decided, s."""
    distress: bool = False
    """A "pause" for a distress word inside the utterance, not a whole phrase."""


class CommandParser:
    """Maps hypotheses to commands for one phrase table and listening mode."""

    def __init__(self, table: PhraseTable, mode: str = "session") -> None:
        self.table = table
        self._commands = table.phrase_map(include_answers=False)
        self._answers = {p: g.command for g in table.answers for p in g.phrases}
        self.mode = mode
        self.last_rejection = ""
        """Why the last hypothesis was rejected (for logs and benchmarks)."""

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self._mode = mode

    def parse(self, hyp: Hypothesis) -> ParsedCommand | None:
        """The command ``hyp`` expresses in the current mode, or None (see last_rejection)."""
        words = [normalize(w.word) for w in hyp.words] if hyp.words else normalize(hyp.text).split()
        words = [w for w in words if w]
        text = " ".join(words)
        command = self._match(text)
        why = self._weak(hyp, words, command) if command is not None else \
            f"not a {self._mode} phrase: {text!r}"
        if not why:
            assert command is not None
            confidence = min((w.confidence for w in hyp.words), default=1.0)
            parsed = self._close_call(hyp, ParsedCommand(command, confidence, text,
                                                         hyp.decided))
            if parsed is not None:
                self.last_rejection = ""
                return parsed
            why = self.last_rejection
        # A phrase too weak to count ("stop" heard faintly) still pauses for its distress word.
        distress = self._distress(hyp, words)
        if isinstance(distress, ParsedCommand):
            self.last_rejection = ""
            return distress
        return self._reject(distress or why)

    def _close_call(self, hyp: Hypothesis, parsed: ParsedCommand) -> ParsedCommand | None:
        """``parsed``, or the safer command, or None (last_rejection says why) when the
        utterance's best rival reading is a whole phrase of another command and close (see the
        module docstring)."""
        if self._mode == "wake":
            return parsed
        rival = next(((r, c) for r in hyp.readings
                      if (c := self._match(r)) is not None and c != parsed.command
                      and c != WAKE), None)
        if rival is None:
            return parsed
        reading, other = rival
        always = NEVER_FOR.get(parsed.command) == other
        log.debug("close call: %r %s (%.2f) vs %r %s", parsed.text, parsed.command,
                  parsed.confidence, reading, other)
        if not always and parsed.confidence >= CLOSE_CALL_CONFIDENCE:
            return parsed
        safe = next((c for c in SAFE_ORDER if c in (parsed.command, other)), None)
        if safe is not None:
            return replace(parsed, command=safe)
        self.last_rejection = (f"close call: {parsed.text!r} ({parsed.command}, "
                               f"{parsed.confidence:.2f}) or {reading!r} ({other})")
        return None

    def _weak(self, hyp: Hypothesis, words: list[str], command: str) -> str:
        """Why the utterance, the whole phrase of ``command``, does not count; "" if it does."""
        duration = hyp.end - hyp.start
        if duration > SECONDS_PER_WORD * len(words) + 0.5:
            return f"too long for {len(words)} words: {duration:.2f} s"
        longest = max((w.end - w.start for w in hyp.words), default=0.0)
        if len(words) >= LONG_PHRASE_WORDS and longest > LONG_PHRASE_MAX_WORD_S:
            return f"a word of {longest:.2f} s in {len(words)} words"
        counted = hyp.words
        if self._mode == "wake" and hyp.wake_check is not None:
            if why := hyp.wake_check():
                return f"not the wake phrase: {why}"
            counted = hyp.words[len(self.table.wake.split()):]
        confidence = min((w.confidence for w in counted), default=1.0)
        minimum = self.table.min_confidence(command)
        if len(words) >= LONG_PHRASE_WORDS:
            minimum *= LONG_PHRASE_FLOOR
        if confidence < minimum:
            return f"{command!r} confidence {confidence:.2f} < {minimum:.2f}"
        return ""

    def _distress(self, hyp: Hypothesis, words: list[str]) -> ParsedCommand | str:
        """A "pause" when ``words`` hold a distress word heard confidently enough (see the
        module docstring); else why not, "" when they hold none."""
        distress = self.table.distress
        if self._mode == "wake" or distress is None:
            return ""
        found = set(self.table.distress_words(words))
        if not found:
            return ""
        if len(words) > DISTRESS_MAX_WORDS:
            return f"distress {sorted(found)} in {len(words)} words: a sentence, not a cry"
        # The evidence is the distress word itself, whatever the words around it; a whole
        # distress phrasing of two words or more ("please stop") is evidence of its own.
        heard = [w for w in hyp.words if normalize(w.word) in found]
        confidence = max((w.confidence for w in heard), default=1.0)
        minimum = distress.min_confidence
        if len(words) >= 2 and " ".join(words) in distress.phrases:
            minimum *= LONG_PHRASE_FLOOR
        if confidence < minimum and not self._readings_agree(hyp):
            return f"distress {sorted(found)} confidence {confidence:.2f} < {minimum:.2f}"
        return ParsedCommand("pause", confidence, " ".join(words), hyp.decided, distress=True)

    def _readings_agree(self, hyp: Hypothesis) -> bool:
        """Whether the utterance's next-best readings all hold a distress word too."""
        first = hyp.readings[:DISTRESS_SUPPORT]
        return len(first) == DISTRESS_SUPPORT and all(
            self.table.distress_words(r.split()) for r in first)

    def _match(self, text: str) -> str | None:
        wake = self.table.wake
        rest = text[len(wake):].strip() if text == wake or text.startswith(wake + " ") else None
        if self._mode == "wake":
            if rest is None:
                return None
            return WAKE if not rest else self._commands.get(rest)
        if rest:  # "hey coach pause" works in a session too
            text = rest
        if self._mode == "answer" and text in self._answers:
            return self._answers[text]
        return self._commands.get(text)

    def _reject(self, why: str) -> ParsedCommand | None:
        self.last_rejection = why
        return None
