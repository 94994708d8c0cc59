"""The conversation around sessions: idle -> wake phrase -> choosing -> in session -> idle.

Pure like the Session it wraps: events in (commands, SpeechDone, Tick, devices lost/back),
actions out, time passed in. It owns the current Session, forwards commands to it, renumbers
its utterances (a stale SpeechDone of an earlier session must never end a sentence of the
next), and tells the app which listener mode and choices to use.

Choices where the spec is silent: an answer that never comes counts like an unrecognized
one (re-prompt once after ``ANSWER_TIMEOUT`` s, then back to idle); the session starts
after its confirmation has been heard; device announcements are queued after whatever the
coach is saying. A routine started from elsewhere (Home Assistant) is offered, not started:
"Say yes to begin." and back to idle, silently, after ``OFFER_TIMEOUT`` s without a yes;
it is ignored while a session runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from voice_coach.commands import WAKE, ListenMode
from voice_coach.core import replies as texts
from voice_coach.core.actions import (
    Action,
    Notice,
    PlayEarcon,
    Progress,
    SaveProgress,
    SessionAction,
    SessionEnded,
    SessionStarted,
    SetListenMode,
    SetVolume,
    Speak,
    StartEnrollment,
    StateChanged,
    StopAudio,
)
from voice_coach.core.choices import LEARN_VOICE, USUAL, RoutineOption, choice_phrases
from voice_coach.core.cues import speech_patience
from voice_coach.core.events import (
    CommandHeard,
    DeviceChanged,
    EnrollmentDone,
    Event,
    SavingChanged,
    SettingRequested,
    SpeechDone,
    StartRequested,
    Tick,
)
from voice_coach.core.history import SessionTracker
from voice_coach.core.session import RATE_MAX, RATE_MIN, VOLUME_MAX, VOLUME_MIN, Session
from voice_coach.core.states import DialogueState, SessionState

ANSWER_TIMEOUT = 8.0
"""Seconds after the question has been said within which an answer is expected."""
OFFER_TIMEOUT = 30.0
"""Seconds after "Say yes to begin." within which a routine started from elsewhere must be
confirmed; then it is dropped (the person may be asleep or not in the room)."""
ANSWERS: tuple[tuple[str, tuple[str, ...]], ...] = (("yes", ()), ("no", ()))
"""Choices of the offer: no phrasings of our own, the listener takes the language's answers."""
ECHO_TAIL = 1.0
"""Seconds after the question ends in which "repeat", "help" or the wake phrase are taken for
its echo (the listener decides about half a second after the end of what it heard)."""
ID_SPAN = 1_000_000
"""Utterance ids of session k are k * ID_SPAN + the session's own id; the dialogue's own
utterances use ids below ID_SPAN."""


@dataclass
class Wait:
    """An utterance of the dialogue's own that something waits for."""

    utterance_id: int
    deadline: float
    """Stream time after which we stop waiting for its SpeechDone (it may have been lost)."""


@dataclass(frozen=True)
class PendingStart:
    """The routine chosen, to start once its confirmation has been said."""

    option: RoutineOption
    start_index: int
    rate: float
    volume: float
    resumed: bool
    started_by: str = "voice"


class Dialogue:
    """Which state the conversation is in, and the Session while one runs."""

    def __init__(
        self,
        routines: Sequence[RoutineOption],
        *,
        saved: Progress | None = None,
        last_routine: str | None = None,
        rate: float = 1.0,
        volume: float = 0.8,
    ) -> None:
        self.routines = {r.id: r for r in routines}
        self.saved = saved
        """Progress of the latest session (finished or not), as last saved."""
        self.last_routine = last_routine or (saved.routine_id if saved else None)
        self.rate = rate
        self.volume = volume
        self.state = DialogueState.IDLE
        self.session: Session | None = None
        self.tracker: SessionTracker | None = None
        self._sessions = 0
        self._next_id = 1
        self._attempts = 0
        self._wait: Wait | None = None
        """While choosing: the question. While starting: the confirmation."""
        self._answer_by: float | None = None
        self._echo_until = 0.0
        self._pending: PendingStart | None = None
        self._offer: RoutineOption | None = None
        """While offered: the routine started from elsewhere, waiting for "yes"."""
        self._lost: set[str] = set()
        self._unsaved = False
        """Progress or history cannot be written right now."""
        self._told_unsaved = -1
        """The session in which the user was told so (once per session)."""

    # --- read-only view ------------------------------------------------------------------

    @property
    def listen_mode(self) -> SetListenMode:
        """What the listener should accept now."""
        if self.state == DialogueState.CHOOSING:
            return SetListenMode(ListenMode.CHOICE, choice_phrases(self.routines.values()))
        if self.state == DialogueState.OFFERED:
            return SetListenMode(ListenMode.CHOICE, ANSWERS)
        if self.state in (DialogueState.IN_SESSION, DialogueState.STARTING) \
                and not self._saying_goodbye:
            return SetListenMode(ListenMode.SESSION)
        return SetListenMode(ListenMode.WAKE)

    @property
    def _saying_goodbye(self) -> bool:
        """The session has finished and its last words are playing: the listener would
        hear only them ("Stopping here" as "stop"), and any answer would cut them."""
        return self.session is not None and self.session.state == SessionState.FINISHED

    @property
    def listen_modes(self) -> tuple[SetListenMode, ...]:
        """Every mode ``listen_mode`` may ask for, so the app can build the recognizers before
        they are needed."""
        return (SetListenMode(ListenMode.WAKE), SetListenMode(ListenMode.SESSION),
                SetListenMode(ListenMode.CHOICE, choice_phrases(self.routines.values())),
                SetListenMode(ListenMode.CHOICE, ANSWERS))

    @property
    def resumable(self) -> Progress | None:
        """The saved place of an unfinished session of a known routine, if any."""
        s = self.saved
        if s is None or s.finished or s.routine_id not in self.routines:
            return None
        return s

    @property
    def offered_routine(self) -> str | None:
        """The routine started from elsewhere that waits for "yes"."""
        return self._offer.id if self._offer is not None else None

    @property
    def starting_routine(self) -> str | None:
        """The routine about to start (its confirmation is being said)."""
        return self._pending.option.id if self._pending is not None else None

    def phrases(self) -> list[str]:
        """What the dialogue may say first (worth synthesizing ahead, at ``rate``)."""
        fixed = [texts.ASK_PRACTICE, texts.ASK_AGAIN, texts.GIVE_UP, texts.CANCELLED]
        starts = [texts.STARTING_ROUTINE.format(title=r.title) for r in self.routines.values()]
        return fixed + starts

    # --- events --------------------------------------------------------------------------

    def handle(self, event: Event, now: float) -> list[Action]:
        match event:
            case CommandHeard():
                return self._command(event, now)
            case StartRequested():
                return self._remote_start(event, now)
            case SettingRequested():
                return self._setting(event, now)
            case SpeechDone():
                return self._speech_done(event.utterance_id, now)
            case DeviceChanged(lost=True):
                return self.device_lost(event.device, now)
            case DeviceChanged():
                return self.device_back(event.device, now)
            case SavingChanged():
                return self._saving(event.failing, now)
            case EnrollmentDone():
                return self._enrolled(event, now)
        return self._tick(now)

    def device_lost(self, device: str, now: float) -> list[Action]:
        """``device`` ("microphone" or "speaker") stopped working: pause, and say so."""
        if device in self._lost:
            return []
        self._lost.add(device)
        actions: list[Action] = []
        playing = self.session is not None and self.session.state == SessionState.PLAYING
        if self.state == DialogueState.IN_SESSION and playing:
            actions += self._to_session(CommandHeard("pause", 1.0, f"{device} lost"), now)
        elif self.state in (DialogueState.CHOOSING, DialogueState.STARTING,
                            DialogueState.OFFERED):
            actions += self._go_idle()
        if device != "speaker":  # no point talking to a speaker that is gone
            actions += self._say(texts.DEVICE_LOST.format(device=device), now)[1]
        return actions

    def device_back(self, device: str, now: float) -> list[Action]:
        """``device`` works again: announce it; the session stays paused until asked."""
        if device not in self._lost:
            return []
        self._lost.discard(device)
        paused = self.session is not None and self.session.state == SessionState.PAUSED
        text = texts.DEVICE_BACK_PAUSED if paused else texts.DEVICE_BACK
        return self._say(text.format(device=device), now)[1]

    def _saving(self, failing: bool, now: float) -> list[Action]:
        """Saving failed (or works again): say so once per session, after what is playing."""
        self._unsaved = failing
        if not failing or self._told_unsaved == self._sessions:
            return []
        self._told_unsaved = self._sessions
        return self._say(texts.CANNOT_SAVE, now)[1]

    def shutdown(self, now: float) -> list[Action]:
        """The app is quitting: save the place and close the history record."""
        if self.state != DialogueState.IN_SESSION or self.session is None:
            return []
        actions: list[Action] = [SaveProgress(self.session.progress())]
        self._note(actions)
        return actions + self._end("interrupted", now)

    # --- states --------------------------------------------------------------------------

    def _command(self, heard: CommandHeard, now: float) -> list[Action]:
        command = heard.command.strip().lower()
        if self.state == DialogueState.IN_SESSION:
            # The wake phrase mid-session is no command: no "Sorry, I did not understand".
            if command == WAKE or self._saying_goodbye:
                return []
            # A cry while the coach is silent has nothing to pause; answering "Already
            # paused" would give the coach's own reply a cry to be heard in (docs/safety.md).
            if heard.distress and (self.session is None
                                   or self.session.state != SessionState.PLAYING):
                return []
            if self.tracker is not None:
                self.tracker.command(heard.source)
            return self._to_session(CommandHeard(command), now)
        if self.state == DialogueState.IDLE:
            return self._wake(now) if command == WAKE else []
        if self.state == DialogueState.OFFERED:
            return self._offered(command, now)
        if self.state == DialogueState.ENROLLING:
            return []  # the enrollment has the microphone: nothing reaches us meanwhile
        if self.state == DialogueState.STARTING:
            if command == "stop":
                self._pending = None
                return self._go_idle() + self._stop_and_say(texts.CANCELLED, now)
            return []
        return self._choose(command, now)

    def _remote_start(self, request: StartRequested, now: float) -> list[Action]:
        option = self.routines.get(request.routine_id)
        if option is None:
            return [Notice(f"no routine {request.routine_id!r} to start")]
        if self.state in (DialogueState.IN_SESSION, DialogueState.STARTING):
            return [Notice(f"{option.title} not started: a session is running")]
        if not request.confirm:
            text = texts.STARTING_ROUTINE.format(title=option.title)
            return self._confirm(option, 0, self.rate * option.rate, self.volume, text, now,
                                 started_by="home")
        self.state = DialogueState.OFFERED
        self._offer = option
        return [self.listen_mode] + self._ask(texts.OFFER.format(title=option.title), now)

    def _offered(self, command: str, now: float) -> list[Action]:
        option = self._offer
        assert option is not None
        if command in ("no", "stop"):
            return self._go_idle() + self._stop_and_say(texts.NOT_NOW, now) + [
                Notice(f"{option.title} not started: declined")]
        if command == WAKE:
            return self._wake(now)
        if command != "yes" or self._wait is not None:
            return []  # "yes" while "Say yes to begin." plays may be its echo
        text = texts.STARTING_ROUTINE.format(title=option.title)
        return self._confirm(option, 0, self.rate * option.rate, self.volume, text, now,
                             started_by="home")

    def _setting(self, request: SettingRequested, now: float) -> list[Action]:
        session = self.session
        if self.state == DialogueState.IN_SESSION and session is not None:
            return self._from_session(session.set_setting(request.name, request.value), now)
        if request.name == "rate":
            self.rate = round(min(max(request.value, RATE_MIN), RATE_MAX), 2)
            return []
        if request.name == "volume":
            self.volume = round(min(max(request.value, VOLUME_MIN), VOLUME_MAX), 2)
            return [SetVolume(self.volume)]
        return []

    def _wake(self, now: float) -> list[Action]:
        self.state = DialogueState.CHOOSING
        self._attempts = 0
        # Stop first, not between: the question must not cut the chime short.
        chime: list[Action] = [StopAudio(), PlayEarcon("wake"), self.listen_mode]
        return chime + self._ask(texts.ASK_PRACTICE, now, stop_first=False)

    def _choose(self, command: str, now: float) -> list[Action]:
        if command in (WAKE, "repeat", "help") and (
                self._wait is not None or now < self._echo_until):
            return []  # heard while our own question plays (or just after): likely its echo
        if command == WAKE or command == "repeat":
            return self._ask(texts.ASK_PRACTICE, now)
        if command == "help":
            titles = " or ".join(r.title for r in self.routines.values()) or texts.NO_ROUTINES
            return self._ask(texts.CHOICE_HELP.format(titles=titles), now)
        if command == "stop":
            return self._go_idle() + self._stop_and_say(texts.CANCELLED, now)
        if command == LEARN_VOICE:
            self.state = DialogueState.ENROLLING
            self._wait, self._answer_by = None, None
            return [StopAudio(), self.listen_mode, StartEnrollment()]
        if command == "resume":
            saved = self.resumable
            if saved is None:
                return self._retry(texts.NOTHING_TO_RESUME, now)
            option = self.routines[saved.routine_id]
            text = texts.RESUMING_ROUTINE.format(title=option.title)
            return self._confirm(option, saved.cue_index, saved.rate, saved.volume, text, now)
        if command == USUAL:
            if self.last_routine not in self.routines:
                return self._retry(texts.NO_USUAL, now)
            command = str(self.last_routine)
        chosen = self.routines.get(command)
        if chosen is None:
            return self._retry("", now)
        option = chosen
        rate = self.rate * option.rate
        text = texts.STARTING_ROUTINE.format(title=option.title)
        return self._confirm(option, 0, rate, self.volume, text, now)

    def _enrolled(self, done: EnrollmentDone, now: float) -> list[Action]:
        if self.state != DialogueState.ENROLLING:
            return []
        notice = Notice(f"voice enrollment: {done.saved} phrases saved"
                        + (f"; {done.problem}" if done.problem else ""))
        said = self._stop_and_say(texts.CANNOT_ENROLL, now) if done.problem else []
        return self._go_idle() + said + [notice]

    def _retry(self, reason: str, now: float) -> list[Action]:
        """An answer we cannot use: ask once more, then give up."""
        self._attempts += 1
        if self._attempts >= 2:
            return self._go_idle() + self._stop_and_say(f"{reason} {texts.GIVE_UP}".strip(), now)
        return self._ask(f"{reason} {texts.ASK_AGAIN}".strip(), now)

    def _confirm(self, option: RoutineOption, index: int, rate: float, volume: float,
                 text: str, now: float, started_by: str = "voice") -> list[Action]:
        self.state = DialogueState.STARTING
        self._answer_by, self._offer = None, None
        self._pending = PendingStart(option, index, rate, volume, index > 0, started_by)
        utterance_id, actions = self._say(text, now, stop_first=True)
        self._wait = Wait(utterance_id, now + speech_patience(text))
        return [self.listen_mode] + actions

    def _start_pending(self, now: float) -> list[Action]:
        assert self._pending is not None
        pending, self._pending, self._wait = self._pending, None, None
        option, index = pending.option, pending.start_index
        self._sessions += 1
        self.session = Session(option.id, option.cues, title=option.title,
                               rate=min(max(pending.rate, RATE_MIN), RATE_MAX),
                               volume=pending.volume, start_index=index,
                               closing=option.closing or None,
                               safety_again=option.safety_again)
        self.tracker = SessionTracker(option.id, option.cues, now, index, pending.started_by)
        self.state = DialogueState.IN_SESSION
        self.last_routine = option.id
        started = SessionStarted(option.id, option.title, index, pending.resumed)
        first: list[Action] = [started, self.listen_mode]
        return first + self._from_session(self.session.start(now), now)

    def _to_session(self, event: CommandHeard | SpeechDone | Tick, now: float) -> list[Action]:
        assert self.session is not None
        return self._from_session(self.session.handle(event, now), now)

    def _from_session(self, actions: list[SessionAction], now: float) -> list[Action]:
        offset = self._sessions * ID_SPAN
        out: list[Action] = [
            replace(a, utterance_id=a.utterance_id + offset) if isinstance(a, Speak) else a
            for a in actions]
        if self._unsaved:  # "Your place is kept" would not be true
            out = [replace(a, text=texts.GOODBYE_UNSAVED)
                   if isinstance(a, Speak) and a.text == texts.GOODBYE else a for a in out]
        self._note(out)
        session = self.session
        if session is not None and session.state == SessionState.FINISHED:
            if not session.is_speaking:
                how = "completed" if session.progress().finished else "stopped"
                out += self._end(how, now)
            elif any(isinstance(a, StateChanged) and a.state == SessionState.FINISHED
                     for a in actions):
                out.append(self.listen_mode)
        return out

    def _note(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, SaveProgress):
                self.saved = action.progress
            if self.tracker is not None:
                self.tracker.note(action)

    def _end(self, how: str, now: float) -> list[Action]:
        assert self.tracker is not None
        ended = SessionEnded(self.tracker.summary(how, now, self.saved))
        self.session, self.tracker = None, None
        return [ended] + self._go_idle()

    def _go_idle(self) -> list[Action]:
        self.state = DialogueState.IDLE
        self._wait, self._answer_by, self._pending, self._offer = None, None, None, None
        return [self.listen_mode]

    # --- speech and time -----------------------------------------------------------------

    def _speech_done(self, utterance_id: int, now: float) -> list[Action]:
        if utterance_id >= ID_SPAN:
            if self.session is None or utterance_id // ID_SPAN != self._sessions:
                return []  # an earlier session's utterance
            return self._to_session(SpeechDone(utterance_id % ID_SPAN), now)
        wait = self._wait
        if wait is None or wait.utterance_id != utterance_id:
            return []
        return self._waited(now)

    def _waited(self, now: float) -> list[Action]:
        self._wait = None
        if self.state == DialogueState.STARTING:
            return self._start_pending(now)
        if self.state == DialogueState.CHOOSING:
            self._answer_by = now + ANSWER_TIMEOUT
            self._echo_until = now + ECHO_TAIL
        if self.state == DialogueState.OFFERED:
            self._answer_by = now + OFFER_TIMEOUT
        return []

    def _tick(self, now: float) -> list[Action]:
        if self.state == DialogueState.IN_SESSION:
            return self._to_session(Tick(), now)
        if self._wait is not None and now >= self._wait.deadline:
            return self._waited(now)
        answer_by = self._answer_by
        if self.state == DialogueState.CHOOSING and answer_by is not None and now >= answer_by:
            return self._retry("", now)
        if self.state == DialogueState.OFFERED and answer_by is not None and now >= answer_by:
            assert self._offer is not None
            title = self._offer.title
            return self._go_idle() + [
                Notice(f"{title} not started: no answer in {OFFER_TIMEOUT:.0f} s")]
        return []

    def _ask(self, text: str, now: float, stop_first: bool = True) -> list[Action]:
        self._answer_by = None
        utterance_id, actions = self._say(text, now, stop_first)
        self._wait = Wait(utterance_id, now + speech_patience(text))
        return actions

    def _stop_and_say(self, text: str, now: float) -> list[Action]:
        return self._say(text, now, stop_first=True)[1]

    def _say(self, text: str, now: float, stop_first: bool = False) -> tuple[int, list[Action]]:
        utterance_id = self._next_id
        self._next_id = self._next_id % (ID_SPAN - 1) + 1
        rate = self.session.rate if self.session is not None else self.rate
        speak = Speak(utterance_id, text, rate)
        actions: list[Action] = [StopAudio()] if stop_first else []
        return utterance_id, actions + [speak]

