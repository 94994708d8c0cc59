"""The flat cue list a routine compiles to: the unit of playback, navigation and progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voice_coach.core.sentences import split_sentences

CueKind = Literal["say", "pause", "breath", "hold", "count"]


@dataclass(frozen=True)
class Cue:
    """One step of playback: optional speech plus a minimum duration.

    A cue ends when its speech has finished *and* ``seconds`` (scaled by the pacing
    factor) have passed since the cue started, so "Inhale" with ``seconds=4`` lasts four
    seconds however quickly the voice says the word.
    """

    index: int
    """Position in the compiled list (0-based)."""
    section: int
    """Index of the section (chapter) this cue belongs to (0-based)."""
    section_title: str
    """Title of that section, spoken by "status"."""
    step: int
    """Index of the top-level block inside the section this cue came from (0-based)."""
    kind: CueKind
    """``say`` is an instruction; ``pause``/``hold`` are timed silence; ``breath`` and
    ``count`` are pacing words (they are not what "repeat" repeats)."""
    text: str | None
    """What the coach says at the start of the cue; ``None`` for silence."""
    seconds: float = 0.0
    """Minimum length of the cue in seconds at pace 1.0, measured from its start."""
    safety: bool = False
    """A safety line ("stop if something hurts"), which the Session must know has been
    heard before it lets a session move past it (docs/safety.md)."""

    @property
    def is_instruction(self) -> bool:
        return self.kind == "say"


WORDS_PER_SECOND = 3.2
"""Speaking speed of the coach at rate 1.0, for estimates before synthesis: the bundled
voice's own 4 words a second slowed by the calm length scale (speech/synth.py), rounded down
so that estimates err long."""

SENTENCE_GAP = 1.2
"""Silence the Session leaves after each sentence and reply (s at pace 1.0): a calm guide
leaves time to take an instruction in. Estimates count it too. A timed cue (a breath, a
count) is not lengthened by it: the breath's own seconds are its time."""

SENTENCE_OVERHEAD = 0.3
"""Seconds each sentence adds on top of its words (the voice's lead-in and trailing silence)."""

PATIENCE_FACTOR = 3.0
PATIENCE_EXTRA_S = 5.0
"""A SpeechDone that has not come within PATIENCE_FACTOR x the estimate + PATIENCE_EXTRA_S
seconds is taken as lost, so nothing waits for it forever."""


def count_sentences(text: str | None) -> int:
    """How many sentences the Session will speak for ``text`` (one ``Speak`` each)."""
    return len(split_sentences(text)) if text else 0


def estimate_speech_seconds(text: str | None, rate: float = 1.0) -> float:
    """How long ``text`` takes to say, before it has been synthesized."""
    if not text:
        return 0.0
    words = len(text.split()) / WORDS_PER_SECOND
    return (words + SENTENCE_OVERHEAD * count_sentences(text)) / rate


def speech_patience(text: str | None, rate: float = 1.0) -> float:
    """Seconds to wait for ``text`` to be said before giving up on its SpeechDone."""
    return PATIENCE_FACTOR * estimate_speech_seconds(text, rate) + PATIENCE_EXTRA_S


def estimate_cue_seconds(cue: Cue, rate: float = 1.0, sentence_gap: float = 0.0) -> float:
    """Expected length of a cue at ``rate`` (timed parts stretch as the rate slows).

    ``sentence_gap`` is the silence left after each sentence, in seconds at rate 1.0.
    """
    sentences = count_sentences(cue.text)
    # A timed cue is not lengthened by the gap after its last sentence (CueRun.is_over).
    gaps = sentence_gap * (sentences - 1 if cue.seconds > 0 and sentences else sentences)
    speech = estimate_speech_seconds(cue.text, rate) + gaps / rate
    return max(speech, cue.seconds / rate)
