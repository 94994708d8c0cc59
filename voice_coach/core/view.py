"""What the coach is doing, as one value for displays outside (Home Assistant, status lines).

Read from the Dialogue on its own thread; a plain frozen value, so it can be handed to any
other thread and compared with the last one sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from voice_coach.core.dialogue import Dialogue
from voice_coach.core.states import DialogueState, SessionState


class Activity(StrEnum):
    """The coach's state as a person would name it."""

    IDLE = "idle"
    CHOOSING = "choosing"
    """Woken, or a routine offered/being confirmed: waiting for an answer."""
    SPEAKING = "speaking"
    HOLDING = "holding"
    """Silent on purpose: a hold, a pause in the routine, a breath."""
    PAUSED = "paused"
    FINISHED = "finished"
    """The last session ended; stays until the coach is woken again."""


@dataclass(frozen=True)
class CoachView:
    activity: Activity
    routine_id: str = ""
    """The running (or offered, or starting) routine; "" when none."""
    routine_title: str = ""
    section_title: str = ""
    section_number: int = 0
    """1-based; 0 outside a session."""
    section_count: int = 0
    time_left_s: float = 0.0
    """Estimated real seconds to the end of the session (0 outside a session)."""
    rate: float = 1.0
    volume: float = 0.8

    @property
    def section_label(self) -> str:
        """"Knee drops (3 of 10)", or "" outside a session."""
        if not self.section_count:
            return ""
        return f"{self.section_title} ({self.section_number} of {self.section_count})"


def coach_view(dialogue: Dialogue, finished: bool = False) -> CoachView:
    """The coach's state now; ``finished``: a session ended since the coach was last woken."""
    state = dialogue.state
    if state != DialogueState.IN_SESSION or dialogue.session is None:
        routine = dialogue.offered_routine or dialogue.starting_routine or ""
        option = dialogue.routines.get(routine)
        idle = Activity.FINISHED if finished else Activity.IDLE
        activity = idle if state == DialogueState.IDLE else Activity.CHOOSING
        return CoachView(activity, routine, option.title if option else "",
                         rate=dialogue.rate, volume=dialogue.volume)
    session = dialogue.session
    cue = session.cue
    if session.state == SessionState.PAUSED:
        activity = Activity.PAUSED
    elif session.state == SessionState.FINISHED:
        activity = Activity.FINISHED
    elif session.state == SessionState.IDLE:
        activity = Activity.CHOOSING
    elif session.is_speaking or cue is None or cue.kind == "say":
        activity = Activity.SPEAKING
    else:
        activity = Activity.HOLDING
    return CoachView(
        activity, session.routine_id, session.title,
        section_title=cue.section_title if cue is not None else "",
        section_number=session.section_index + 1 if cue is not None else 0,
        section_count=session.section_count if cue is not None else 0,
        time_left_s=round(session.time_left(), 1),
        rate=session.rate, volume=session.volume,
    )
