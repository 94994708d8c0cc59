"""The states of the Session and of the Dialogue around it."""

from __future__ import annotations

from enum import StrEnum


class SessionState(StrEnum):
    IDLE = "idle"
    """Not started yet: waiting for its first cue (or "resume")."""
    PLAYING = "playing"
    PAUSED = "paused"
    FINISHED = "finished"
    """Reached the end or stopped; every command now gets "This session has ended."."""


class DialogueState(StrEnum):
    IDLE = "idle"
    """Only the wake phrase counts."""
    CHOOSING = "choosing"
    """"Which practice?" asked; a routine title, "the usual" or "resume" expected."""
    OFFERED = "offered"
    """A routine started from elsewhere was announced; "yes" starts it, "no" or silence
    does not."""
    STARTING = "starting"
    """The chosen routine's confirmation is being said."""
    IN_SESSION = "in_session"
    ENROLLING = "enrolling"
    """The app runs the spoken enrollment ("learn my voice"); nothing else is heard until
    it reports back (EnrollmentDone)."""
