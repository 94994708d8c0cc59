"""Messages into and out of the Session state machine.

Events go in (``Session.handle(event, now)``); actions come out. Times are seconds on
whatever clock the caller uses (the audio stream clock, or a virtual clock in tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandHeard:
    """A spoken command, already mapped to its canonical name (``pause``, ``next`` ...)."""

    command: str
    confidence: float = 1.0
    text: str = ""
    """What the recognizer heard, for logs."""


@dataclass(frozen=True)
class SpeechDone:
    """The player has played the last sample of utterance ``utterance_id``."""

    utterance_id: int


@dataclass(frozen=True)
class Tick:
    """Time passes; sent regularly (every audio block) so timed cues can end."""


Event = CommandHeard | SpeechDone | Tick

# --- actions ----------------------------------------------------------------------------


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
    """The session moved to another state (``idle``, ``playing``, ``paused``, ``finished``)."""

    state: str
    reason: str = ""


@dataclass(frozen=True)
class Prefetch:
    """Hint: these texts will be spoken soon; synthesize them ahead of time."""

    texts: tuple[str, ...] = field(default_factory=tuple)
    rate: float = 1.0


Action = Speak | StopAudio | SetVolume | SaveProgress | StateChanged | Prefetch
