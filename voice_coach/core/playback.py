"""The mechanics under the Session: saying a routine's cues on time, one sentence at a time.

At most one utterance is in flight: the next sentence is only sent after ``SpeechDone``
for the current one, and every spoken reply is preceded by ``StopAudio``. That keeps
"which sentence was cut off" unambiguous, so resume can say it again from its beginning.
What the commands *mean* lives in voice_coach.core.session; this module only moves along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voice_coach.core import replies
from voice_coach.core.actions import (
    Prefetch,
    Progress,
    SaveProgress,
    SessionAction,
    SetVolume,
    Speak,
    StateChanged,
    StopAudio,
)
from voice_coach.core.cue_run import CueRun
from voice_coach.core.cues import (
    Cue,
    estimate_cue_seconds,
    speech_patience,
)
from voice_coach.core.navigation import Sections
from voice_coach.core.sentences import split_sentences
from voice_coach.core.states import SessionState

PREFETCH_CUES = 3
"""How many cues ahead the synthesizer is asked to prepare at each cue start."""


@dataclass
class Flight:
    """The one utterance being played, as far as the Session knows."""

    utterance_id: int
    deadline: float
    """Stream time (s) after which we stop waiting for its SpeechDone: a lost event must
    not hang the session forever."""
    answer: bool
    """True for replies to commands, False for the cue's own sentences."""


class Playback:
    """Where we are in the cue list, what is being said, and the cue's clock."""

    def __init__(
        self,
        routine_id: str,
        cues: Sequence[Cue],
        *,
        rate: float,
        volume: float,
        start_index: int,
        gap: float,
        closing: str = replies.CLOSING,
    ) -> None:
        self.routine_id = routine_id
        self.cues = tuple(cues)
        self.sections = Sections.of(self.cues)
        self.rate = rate
        self.volume = volume
        self.gap = gap
        self.closing = closing
        """Said when the last cue has ended: the routine's own words, else the generic line."""
        self.index = min(max(start_index, 0), max(len(self.cues) - 1, 0))
        self.state = SessionState.IDLE
        self.completed = False
        """True once the last cue has ended (not after "stop": that keeps the place)."""
        self.run: CueRun | None = None
        self.flight: Flight | None = None
        self.last_now: float | None = None
        self._next_id = 1

    def progress(self) -> Progress:
        return Progress(self.routine_id, self.index, self.rate, self.volume, self.completed)

    def save(self) -> SaveProgress:
        return SaveProgress(self.progress())

    def time_left(self, pace: float) -> float:
        """Estimated real seconds to the end of the routine at ``pace``."""
        if self.state == "finished" or not self.cues:
            return 0.0
        rest = self.cues[self.index + 1 :]
        later = sum(estimate_cue_seconds(cue, pace, self.gap) for cue in rest)
        current = self.run or CueRun.of(self.cues[self.index])
        return current.seconds_left(pace, self.gap) + later

    # --- time and speech events ----------------------------------------------------------

    def sync(self, now: float) -> None:
        """Let the cue's clock run for the time since the last event, if it has the floor.

        The floor is the cue's while playing and no reply is being spoken: paused time
        and replies do not eat into a hold, which then resumes with the time it had left.
        """
        elapsed = 0.0 if self.last_now is None else max(0.0, now - self.last_now)
        self.last_now = now if self.last_now is None else max(self.last_now, now)
        answering = self.flight is not None and self.flight.answer
        if self.state == "playing" and not answering and self.run is not None:
            self.run.advance(elapsed, self.rate)
        if self.flight is not None and self.last_now >= self.flight.deadline:
            self.speech_done(self.flight.utterance_id)

    def speech_done(self, utterance_id: int) -> None:
        # Only the utterance in flight counts: a SpeechDone for one that was stopped or
        # superseded (stale id) must not skip a sentence.
        flight = self.flight
        if flight is None or flight.utterance_id != utterance_id:
            return
        self.flight = None
        if self.run is None:
            return
        if flight.answer:
            self.run.answer_finished(self.gap)
        else:
            self.run.sentence_finished(self.gap)

    def pump(self) -> list[SessionAction]:
        """Say the next due sentence, or move on to the next cue once this one is over."""
        actions: list[SessionAction] = []
        while self.state == "playing" and self.flight is None and self.run is not None:
            text = self.run.due_sentence()
            if text is not None:
                return actions + [self._speak(text, self.index, answer=False)]
            if not self.run.is_over():
                break
            actions += self._advance()
        return actions

    # --- moving through cues -------------------------------------------------------------

    def begin(self, index: int, reason: str) -> list[SessionAction]:
        """Enter the playing state at cue ``index`` (from idle or paused, or a jump)."""
        actions = self.set_state(SessionState.PLAYING, reason)
        if not self.cues:
            return actions + self.finish(replies.EMPTY)
        return actions + self.enter_cue(index)

    def enter_cue(self, index: int) -> list[SessionAction]:
        self.index = index
        self.run = CueRun.of(self.cues[index])
        actions: list[SessionAction] = [self.save()]
        texts = self.upcoming_texts()
        if texts:
            actions.append(Prefetch(texts, self.rate))
        return actions

    def _advance(self) -> list[SessionAction]:
        if self.index + 1 < len(self.cues):
            return self.enter_cue(self.index + 1)
        return self.finish(self.closing)

    def finish(self, closing: str) -> list[SessionAction]:
        """The routine is complete: say a closing line and stay finished."""
        self.completed = True
        self.run = None
        actions = self.set_state(SessionState.FINISHED, "end") + [self.save()]
        return actions + self.say(closing)

    def upcoming_texts(self) -> tuple[str, ...]:
        """Sentences the synthesizer should prepare: the rest of this cue and a few more."""
        texts: list[str] = list(self.run.remaining_sentences()[1:]) if self.run else []
        ahead = self.cues[self.index + 1 : self.index + 1 + PREFETCH_CUES]
        for cue in ahead:
            texts += split_sentences(cue.text)
        if self.index + 1 + len(ahead) >= len(self.cues):
            texts.append(self.closing)
        return tuple(dict.fromkeys(texts))

    # --- speaking and state --------------------------------------------------------------

    def _speak(self, text: str, cue_index: int | None, *, answer: bool) -> Speak:
        utterance_id = self._next_id
        self._next_id += 1
        # Generous: covers synthesis on a slow machine as well as playback.
        patience = speech_patience(text, self.rate)
        self.flight = Flight(utterance_id, (self.last_now or 0.0) + patience, answer)
        return Speak(utterance_id, text, self.rate, cue_index)

    def say(self, text: str) -> list[SessionAction]:
        """Speak a reply; the cue waits until it has been heard."""
        return [self._speak(text, None, answer=True)]

    def interrupt(self) -> list[SessionAction]:
        """Silence the speaker; an interrupted cue sentence will be said again from its start."""
        self.flight = None
        return [StopAudio()]

    def answer(self, text: str) -> list[SessionAction]:
        """Interrupt whatever is playing and say ``text``; the cue continues afterwards."""
        return self.interrupt() + self.say(text)

    def set_state(self, state: SessionState, reason: str) -> list[SessionAction]:
        if state == self.state:
            return []
        self.state = state
        return [StateChanged(state, reason)]

    def set_volume(self, volume: float) -> list[SessionAction]:
        self.volume = volume
        return [SetVolume(volume)]
