"""What the coach does: actions out of the Session and the Dialogue, for the app to carry out.

The Session emits ``SessionAction``s; the Dialogue adds its own (chime, listener mode, session
started and ended). ``Action`` is the whole union the app's executor dispatches on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_coach.commands import ListenMode
from voice_coach.core.states import SessionState


@dataclass(frozen=True)
class Speak:
    """Synthesize and play ``text``. ``cue_index`` is None for confirmations/announcements."""

    utterance_id: int
    text: str
    rate: float = 1.0
    """Speaking rate: 1.0 is the voice's natural speed, 0.8 is slower."""
    cue_index: int | None = None


@dataclass(frozen=True)
class StopAudio:
    """Silence the speaker now (within one audio block) and drop queued speech."""


@dataclass(frozen=True)
class SetVolume:
    volume: float
    """Linear gain 0.0-1.0 applied to everything played from now on."""


@dataclass(frozen=True)
class Progress:
    """Everything needed to continue a session after a restart."""

    routine_id: str
    cue_index: int
    rate: float = 1.0
    volume: float = 1.0
    finished: bool = False


@dataclass(frozen=True)
class SaveProgress:
    progress: Progress


@dataclass(frozen=True)
class StateChanged:
    """The session moved to another state."""

    state: SessionState
    reason: str = ""


@dataclass(frozen=True)
class Prefetch:
    """Hint: these texts will be spoken soon; synthesize them ahead of time."""

    texts: tuple[str, ...] = field(default_factory=tuple)
    rate: float = 1.0


SessionAction = Speak | StopAudio | SetVolume | SaveProgress | StateChanged | Prefetch
"""What the Session emits."""


@dataclass(frozen=True)
class PlayEarcon:
    """Play the short chime ``name`` (so far only "wake") now."""

    name: str = "wake"


@dataclass(frozen=True)
class SetListenMode:
    """Tell the listener what to accept, with the ``choices`` of the CHOICE mode."""

    mode: ListenMode
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Choice key (a routine id or ``USUAL``) -> normalized phrasings."""


@dataclass(frozen=True)
class SessionStarted:
    routine_id: str
    title: str
    start_index: int
    """Cue index the session starts at (> 0 when resuming)."""
    resumed: bool


@dataclass(frozen=True)
class SessionSummary:
    """One finished (or interrupted) session, for the history file."""

    routine_id: str
    start_index: int
    """Cue the session started at."""
    end_index: int
    """Cue it was on at the end."""
    sections_completed: int
    """Sections whose last cue was reached during this session."""
    section_count: int
    pauses: int
    """How often it was paused (by voice or by a lost device)."""
    duration: float
    """Seconds from start to end on the session's clock."""
    how: str
    """"completed" (reached the end), "stopped" (by voice), "interrupted" (the app quit)."""
    started_by: str = "voice"
    """"voice", "home" (started from Home Assistant) or "play" (`voice-coach play`)."""
    voice_commands: int = 0
    """Commands the listener heard during the session."""
    home_commands: int = 0
    """Commands that came from Home Assistant during the session."""


@dataclass(frozen=True)
class SessionEnded:
    summary: SessionSummary


@dataclass(frozen=True)
class Notice:
    """Something worth showing outside (Home Assistant, the log) that the coach did not say,
    e.g. a routine started from elsewhere that nobody confirmed."""

    text: str


@dataclass(frozen=True)
class StartEnrollment:
    """Hand the speaker and the microphone to the spoken enrollment (``voice-coach enroll``'s
    flow, default plan); the app posts EnrollmentDone when it has ended."""


Action = (SessionAction | PlayEarcon | SetListenMode | SessionStarted | SessionEnded | Notice
          | StartEnrollment)
"""Everything the Dialogue (and so the app) may be asked to do."""
