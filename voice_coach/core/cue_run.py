"""The timing of one cue while it plays: which sentence is due and when the cue may end.

The cue keeps its own clock in *routine seconds* (real seconds multiplied by the pace), so
a slower pace stretches holds and breaths, and a pace change in the middle of a hold
stretches only what is left of it. The Session advances the clock only while the cue has
the floor (playing, no answer being spoken), which is what makes a paused hold resume
with exactly the time it had left.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice_coach.core.cues import Cue, estimate_speech_seconds
from voice_coach.core.sentences import split_sentences


@dataclass
class CueRun:
    """Playback state of the current cue."""

    cue: Cue
    sentences: tuple[str, ...]
    """The cue's text split into sentences (empty for silent cues)."""
    next_sentence: int = 0
    """Index of the sentence to say next (or being said); ``len(sentences)`` when done."""
    clock: float = 0.0
    """Routine seconds this cue has had the floor (real seconds × pace)."""
    ready_at: float = 0.0
    """Clock value before which nothing new starts: the gap after a sentence or answer."""

    @classmethod
    def of(cls, cue: Cue) -> CueRun:
        return cls(cue, split_sentences(cue.text))

    def advance(self, real_seconds: float, pace: float) -> None:
        self.clock += real_seconds * pace

    @property
    def speech_done(self) -> bool:
        return self.next_sentence >= len(self.sentences)

    def due_sentence(self) -> str | None:
        """The sentence to start now, if one is pending and the gap has passed."""
        if self.speech_done or self.clock < self.ready_at:
            return None
        return self.sentences[self.next_sentence]

    def sentence_finished(self, gap: float) -> None:
        """The current sentence was heard to the end; the next one waits ``gap``."""
        self.next_sentence += 1
        self.ready_at = self.clock + gap

    def answer_finished(self, gap: float) -> None:
        """An answer interrupted this cue; leave a gap before the coach goes on."""
        self.ready_at = self.clock + gap

    def go_on_now(self) -> None:
        """Drop any pending gap (after a resume the interrupted sentence starts at once)."""
        self.ready_at = min(self.ready_at, self.clock)

    def is_over(self) -> bool:
        """All sentences heard and the cue's time used up; for a cue without time of its own,
        the gap after its last sentence passed too. A breath or a count lasts the seconds the
        breath takes: a gap on top would slow the rhythm down with every breath."""
        if not self.speech_done:
            return False
        return self.clock >= (self.cue.seconds if self.cue.seconds > 0 else self.ready_at)

    def remaining_sentences(self) -> tuple[str, ...]:
        return self.sentences[self.next_sentence :]

    def seconds_left(self, pace: float, gap: float) -> float:
        """Estimate of real seconds until this cue ends at ``pace``."""
        speech = sum(
            estimate_speech_seconds(text, pace) + gap / pace for text in self.remaining_sentences()
        )
        timed = max(self.cue.seconds, self.ready_at) - self.clock
        return max(speech, timed / pace, 0.0)
