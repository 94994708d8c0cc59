"""The coach's behaviour as a pure state machine: events in, actions out, time passed in.

No threads, no I/O, no wall clock: ``now`` is the caller's stream time in seconds, so
every behaviour is a fast unit test on a virtual clock. The app executes the actions
(voice_coach.app.executor.Executor) and feeds back ``SpeechDone`` and ``Tick`` events.
This module says what each command means in each state; voice_coach.core.playback does the
moving along (sentences, timing, replies).

Choices where the spec is silent: every command answers aloud (a reply interrupts the
coach, whose cut-off sentence is said again afterwards; replies don't use up hold time).
"next" in the last section says so and carries on (a misheard "next" must not skip the
closing). A jump (next/back/repeat/restart) while paused also resumes. Before start,
"resume" starts at ``start_index`` and "restart" at cue 0; settings, status and help work.
After the end every command gets "This session has ended." A lost SpeechDone is given up
on after 3x the estimated speech time + 5 s, so the session cannot hang.

Safety (docs/safety.md): a session never reaches a cue past the routine's first safety line
without that line, or its short form, having been said: a start anywhere but the beginning,
or a jump over the line before it was heard, says the short form with its announcement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voice_coach.core import replies
from voice_coach.core.actions import Prefetch, Progress, SessionAction
from voice_coach.core.cues import SENTENCE_GAP, Cue
from voice_coach.core.events import CommandHeard, Event, SpeechDone
from voice_coach.core.navigation import repeat_target
from voice_coach.core.playback import Playback
from voice_coach.core.states import SessionState

STATES: tuple[SessionState, ...] = tuple(SessionState)

RATE_STEP, RATE_MIN, RATE_MAX = 0.1, 0.7, 1.3
"""Pace steps for slower/faster: speaking rate and hold/breath time scale together."""
VOLUME_STEP, VOLUME_MIN, VOLUME_MAX = 0.1, 0.2, 1.0
"""Volume steps for louder/quieter; the floor keeps the coach from going silent."""
BACK_GRACE = 4.0
"""Seconds into a section's first cue within which "back" goes to the previous section."""
_NEEDS_START = frozenset({"pause", "next", "back", "repeat"})
"""Commands that only make sense once the routine is playing."""


class Session:
    """A guided routine being played: a cue list plus where we are in it."""

    def __init__(
        self,
        routine_id: str,
        cues: Sequence[Cue],
        *,
        title: str = "",
        rate: float = 1.0,
        volume: float = 0.8,
        start_index: int = 0,
        sentence_gap: float = SENTENCE_GAP,
        closing: str | None = None,
        safety_again: str = replies.SAFETY_AGAIN,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.routine_id = routine_id
        self.title = title
        self._p = Playback(
            routine_id,
            cues,
            rate=rate,
            volume=min(max(volume, 0.0), 1.0),
            start_index=start_index,
            gap=sentence_gap,
            closing=closing or replies.CLOSING,
        )
        self._first_safety = next((c.index for c in cues if c.safety), None)
        """Index of the routine's first safety line (None: the cues have none)."""
        self._safety_again = safety_again
        self._safety_said = False  # the short form was said in this session
        self._commands: dict[str, Callable[[], list[SessionAction]]] = {
            "pause": self._pause,
            "resume": self._resume,
            "next": self._next,
            "back": self._back,
            "repeat": self._repeat,
            "restart": self._restart,
            "stop": self._stop,
            "slower": lambda: self._change_rate(-RATE_STEP),
            "faster": lambda: self._change_rate(+RATE_STEP),
            "louder": lambda: self._change_volume(+VOLUME_STEP),
            "quieter": lambda: self._change_volume(-VOLUME_STEP),
            "status": lambda: self._p.answer(self._status_text()),
            "help": lambda: self._p.answer(replies.HELP),
        }

    # --- read-only view for the app ------------------------------------------------------

    @property
    def state(self) -> SessionState:
        """One of ``idle``, ``playing``, ``paused``, ``finished``."""
        return self._p.state

    @property
    def cue_index(self) -> int:
        return self._p.index

    @property
    def cue(self) -> Cue | None:
        """The current cue (None only for an empty routine)."""
        return self._p.cues[self._p.index] if self._p.cues else None

    @property
    def cues(self) -> tuple[Cue, ...]:
        return self._p.cues

    @property
    def section_index(self) -> int:
        """0-based position of the current section among ``section_count``."""
        return self._p.sections.position(self._p.index)

    @property
    def section_count(self) -> int:
        return self._p.sections.count

    @property
    def rate(self) -> float:
        """Pace: speaking rate and the divisor of hold/breath seconds."""
        return self._p.rate

    @property
    def volume(self) -> float:
        return self._p.volume

    @property
    def is_speaking(self) -> bool:
        """An utterance is still expected to finish (e.g. the goodbye after "stop")."""
        return self._p.flight is not None

    def progress(self) -> Progress:
        return self._p.progress()

    def time_left(self, rate: float | None = None) -> float:
        """Estimated real seconds to the end of the routine at ``rate`` (default: current)."""
        return self._p.time_left(rate or self._p.rate)

    # --- driving -------------------------------------------------------------------------

    def start(self, now: float) -> list[SessionAction]:
        """Begin playing at ``start_index``. Does nothing unless the session is idle."""
        if self.state != "idle":
            return []
        self._p.sync(now)
        return self._begin(self._p.index) + self._p.pump()

    def handle(self, event: Event, now: float) -> list[SessionAction]:
        """React to a command, the end of an utterance, or time passing (anything else)."""
        self._p.sync(now)
        actions: list[SessionAction] = []
        if isinstance(event, CommandHeard):
            actions += self._command(event.command)
        elif isinstance(event, SpeechDone):
            self._p.speech_done(event.utterance_id)
        return actions + self._p.pump()

    def _begin(self, index: int) -> list[SessionAction]:
        p = self._p
        actions = p.begin(index, "start") + p.set_volume(p.volume)
        if p.state != "playing":  # an empty routine finishes at once
            return actions
        # The pause reply is the one that must come fastest: have it synthesized early.
        actions.append(Prefetch((replies.PAUSED,), p.rate))
        if index > 0:
            actions += p.say(self._with_safety(
                index, self._section_text(index, replies.continuing_at), started=True))
        return actions

    def _with_safety(self, target: int, text: str, started: bool = False) -> str:
        """``text`` (an announcement before playing from cue ``target``), followed by the short
        safety line when going there would pass the first safety line unheard. ``started``:
        the session starts there (nothing has been heard yet)."""
        first = self._first_safety
        if first is None or target <= first or self._safety_said:
            return text  # no line, it comes on the way, or the short one was said
        if not started and self._p.index > first:
            return text  # the session played it (or jumped past with the short one)
        self._safety_said = True
        return f"{text} {self._safety_again}".strip()

    # --- commands ------------------------------------------------------------------------

    def _command(self, name: str) -> list[SessionAction]:
        command = name.strip().lower()
        if self.state == "finished":
            return self._p.answer(replies.ENDED)
        if self.state == "idle" and command in _NEEDS_START:
            return self._p.answer(replies.NOT_STARTED)
        handler = self._commands.get(command)
        return handler() if handler else self._p.answer(replies.UNKNOWN)

    def _pause(self) -> list[SessionAction]:
        p = self._p
        if p.state == "paused":
            return p.answer(replies.ALREADY_PAUSED)
        actions = p.interrupt() + p.set_state(SessionState.PAUSED, "pause") + [p.save()]
        return actions + p.say(replies.PAUSED)

    def _resume(self) -> list[SessionAction]:
        p = self._p
        if p.state == "idle":
            return p.interrupt() + self._begin(p.index)
        if p.state == "playing":
            return p.answer(replies.ALREADY_PLAYING)
        actions = p.interrupt() + p.set_state(SessionState.PLAYING, "resume")
        if p.run is None:  # paused always has a cue; stay safe rather than crash
            return actions
        p.run.go_on_now()
        if p.run.speech_done:
            # Nothing to say again (we were in a silent stretch): confirm instead.
            hold = p.run.cue.kind == "hold"
            actions += p.say(replies.RESUMING_HOLD if hold else replies.RESUMING)
        return actions

    def _next(self) -> list[SessionAction]:
        target = self._p.sections.next_start(self._p.index)
        if target is None:
            # Not "finish": a misheard "next" must not throw away the closing section.
            return self._p.answer(replies.LAST_SECTION)
        return self._jump(target, "next", self._section_text(target, replies.going_to))

    def _back(self) -> list[SessionAction]:
        p = self._p
        into = p.run.clock / p.rate if p.run else 0.0
        target = p.sections.back_target(p.index, into, BACK_GRACE)
        return self._jump(target, "back", self._section_text(target, replies.going_to))

    def _repeat(self) -> list[SessionAction]:
        # No announcement: hearing the instruction again is the confirmation.
        return self._jump(repeat_target(self._p.cues, self._p.sections, self._p.index), "repeat")

    def _restart(self) -> list[SessionAction]:
        if self.state == "idle":
            return self._p.interrupt() + self._begin(0)
        return self._jump(0, "restart", replies.RESTARTING)

    def _jump(self, target: int, reason: str, announce: str | None = None) -> list[SessionAction]:
        """Play from cue ``target``. A jump while paused also resumes: asking to go
        somewhere is asking to hear it."""
        announce = self._with_safety(target, announce or "")
        actions = self._p.interrupt() + self._p.begin(target, reason)
        return actions + (self._p.say(announce) if announce else [])

    def _stop(self) -> list[SessionAction]:
        p = self._p
        actions = p.interrupt() + p.set_state(SessionState.FINISHED, "stop")
        p.run = None  # the index stays: the saved progress keeps the place
        return actions + [p.save()] + p.say(replies.GOODBYE)

    def _change_rate(self, step: float) -> list[SessionAction]:
        p = self._p
        new = _step_setting(p.rate, step, RATE_MIN, RATE_MAX)
        if new is None:
            return p.answer(replies.SLOWEST if step < 0 else replies.FASTEST)
        p.rate = new
        actions = p.answer(replies.SLOWER if step < 0 else replies.FASTER) + [p.save()]
        # Cached audio is per rate: prepare what comes next at the new pace.
        return actions + [Prefetch((*p.upcoming_texts(), replies.PAUSED), p.rate)]

    def _change_volume(self, step: float) -> list[SessionAction]:
        p = self._p
        new = _step_setting(p.volume, step, VOLUME_MIN, VOLUME_MAX)
        if new is None:
            return p.answer(replies.QUIETEST if step < 0 else replies.LOUDEST)
        actions = p.set_volume(new) + [p.save()]
        return actions + p.answer(replies.QUIETER if step < 0 else replies.LOUDER)

    def set_setting(self, name: str, value: float) -> list[SessionAction]:
        """Set the pace or the volume outright (from Home Assistant): no spoken answer, the
        change itself is what the user hears."""
        p = self._p
        if name == "rate":
            p.rate = round(min(max(value, RATE_MIN), RATE_MAX), 2)
            return [p.save(), Prefetch((*p.upcoming_texts(), replies.PAUSED), p.rate)]
        if name == "volume":
            return p.set_volume(round(min(max(value, VOLUME_MIN), VOLUME_MAX), 2)) + [p.save()]
        return []

    # --- texts ---------------------------------------------------------------------------

    def _section_text(self, cue_index: int, phrase: Callable[[int, int, str], str]) -> str:
        number = self._p.sections.position(cue_index) + 1
        return phrase(number, self.section_count, self._p.cues[cue_index].section_title)

    def _status_text(self) -> str:
        if not self._p.cues:
            return replies.EMPTY
        number = self.section_index + 1
        title = self._p.cues[self._p.index].section_title
        return replies.status(number, self.section_count, title, self.time_left(), self.state)


def _step_setting(value: float, step: float, low: float, high: float) -> float | None:
    """``value`` moved one step toward its bound, or None when already at (or past) it.

    Never more than one step: a value that started outside the range walks back in.
    """
    if (step < 0 and value <= low + 1e-9) or (step > 0 and value >= high - 1e-9):
        return None
    moved = max(value + step, low) if step < 0 else min(value + step, high)
    return round(moved, 2)
