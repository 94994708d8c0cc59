"""What happens to the coach: events into the Session and the Dialogue.

Events go in (``handle(event, now)``); actions (voice_coach.core.actions) come out. Times are
seconds on whatever clock the caller uses (the audio stream clock, or a virtual clock).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandHeard:
    """A spoken command, already mapped to its canonical name (``pause``, ``next`` ...)."""

    command: str
    confidence: float = 1.0
    text: str = ""
    """What the recognizer heard, for logs."""
    time: float | None = None
    """Mic-stream seconds at which the listener decided (None: not from a microphone)."""
    source: str = "voice"
    """Where it came from: "voice" (the listener) or "home" (Home Assistant)."""
    distress: bool = False
    """A "pause" for a cry of pain inside an utterance (the listener's distress rule), not a
    whole phrase: it pauses a playing session and does nothing otherwise."""


@dataclass(frozen=True)
class SpeechDone:
    """The player has played the last sample of utterance ``utterance_id``."""

    utterance_id: int


@dataclass(frozen=True)
class Tick:
    """Time passes; sent regularly (every audio block) so timed cues can end."""


@dataclass(frozen=True)
class DeviceChanged:
    """The microphone or the speaker stopped working (``lost``) or works again."""

    device: str
    """"microphone" or "speaker"."""
    lost: bool
    detail: str = ""
    """What went wrong, for logs."""


@dataclass(frozen=True)
class SavingChanged:
    """Progress or history could not be written (``failing``), or can be again."""

    failing: bool
    detail: str = ""
    """What went wrong, for logs."""


@dataclass(frozen=True)
class StartRequested:
    """Someone asked from elsewhere (Home Assistant) to start routine ``routine_id``."""

    routine_id: str
    confirm: bool = True
    """Ask "Say yes to begin." first (nobody may be in bed); False starts at once."""


@dataclass(frozen=True)
class SettingRequested:
    """Set the pace or the volume to a value (Home Assistant's number entities)."""

    name: str
    """"rate" or "volume"."""
    value: float
    """Already within the setting's range (RATE_MIN-RATE_MAX, VOLUME_MIN-VOLUME_MAX)."""


@dataclass(frozen=True)
class EnrollmentDone:
    """The spoken enrollment has ended."""

    saved: int
    """Phrases whose takes were saved."""
    problem: str = ""
    """Why it could not run or finish (a device, the state folder), "" when it did."""


Event = (CommandHeard | SpeechDone | Tick | DeviceChanged | SavingChanged | StartRequested
         | SettingRequested | EnrollmentDone)
"""Everything the Session and the Dialogue handle (the Session leaves devices, saving and
requests from elsewhere to the Dialogue: for it those only let time pass)."""
