"""Every line the coach says of its own (replies to commands, the routine choice, device
messages); the routines' own words come from their files.

Kept in one place so they stay short, kind and consistent, and so the listener side can
see exactly which sentences the coach itself may say (they must never trigger commands).
"""

from __future__ import annotations

# Also what a cry of pain gets ("stop, it hurts" pauses: docs/safety.md), so it says how to end.
PAUSED = "I've paused. Say resume when you're ready, or stop to end."
ALREADY_PAUSED = "Already paused. Say resume when you are ready."
ALREADY_PLAYING = "We are already going."
RESUMING = "Resuming."
RESUMING_HOLD = "Resuming. Keep holding."
NOT_STARTED = "We have not started yet. Say resume to begin."
ENDED = "This session has ended."
LAST_SECTION = "This is the last section."
RESTARTING = "Starting again from the beginning."
SLOWER = "Slower."
FASTER = "Faster."
SLOWEST = "This is already the slowest pace."
FASTEST = "This is already the fastest pace."
LOUDER = "Louder."
QUIETER = "Quieter."
LOUDEST = "This is already the loudest setting."
QUIETEST = "This is already the quietest setting."
# Safety (docs/safety.md); a routine may say these in its own words (its `safety:` key).
SAFETY_FIRST = ("If something hurts, stop: say stop, or ow, and I will pause. "
                "Move gently, within a comfortable range.")
"""Before the first movement of a session that starts at the beginning."""
SAFETY_AGAIN = "Remember, stop if something hurts."
"""Before the first movement of a session that starts anywhere else (resumed, a chosen
section, or "next" before the first safety line was heard)."""
SAFETY_EFFORT = "This part takes more effort. Ease off or stop if something hurts."
"""Before each part of a routine marked ``effortful``."""
GOODBYE = "Stopping here. Your place is kept for next time. Take care."
CLOSING = "That is the end of the session. Well done."
EMPTY = "There is nothing to play in this routine."
UNKNOWN = "Sorry, I did not understand. Say help to hear what you can say."
HELP = (
    "You can say: pause, resume, next, back, repeat, restart, slower, faster, "
    "louder, quieter, status, or stop."
)

# The routine choice (the Dialogue): short, so a reply never keeps the user waiting.
ASK_PRACTICE = "Which practice?"
ASK_AGAIN = "Sorry, which practice?"
GIVE_UP = "Okay, maybe later."
NOTHING_TO_RESUME = "There is no unfinished practice to resume."
NO_USUAL = "There is no usual practice yet."
RESUMING_ROUTINE = "Resuming {title}."
STARTING_ROUTINE = "{title}. Let's begin."
CANCELLED = "Okay."
OFFER = "{title} is ready. Say yes to begin."
NOT_NOW = "Okay, not now."
CHOICE_HELP = "You can say {titles}, the usual, or resume."
CANNOT_ENROLL = "I could not learn your voice just now."
NO_ROUTINES = "nothing yet"

# Devices ("microphone" or "speaker") lost and back.
DEVICE_LOST = "The {device} is not working. I will keep trying."
DEVICE_BACK = "The {device} is back."
DEVICE_BACK_PAUSED = "The {device} is back. Say resume when you are ready."

# Progress or history cannot be written (a full or read-only disk): said once per session.
CANNOT_SAVE = "I cannot save your progress right now. We will carry on, but it may not be kept."
GOODBYE_UNSAVED = "Stopping here. Take care."
"""GOODBYE without "Your place is kept", while saving fails."""

ALL_FIXED: tuple[str, ...] = (
    PAUSED, ALREADY_PAUSED, ALREADY_PLAYING, RESUMING, RESUMING_HOLD, NOT_STARTED, ENDED,
    LAST_SECTION, RESTARTING, SLOWER, FASTER, SLOWEST, FASTEST, LOUDER, QUIETER, LOUDEST,
    QUIETEST, GOODBYE, CLOSING, EMPTY, UNKNOWN, HELP, CANNOT_SAVE, GOODBYE_UNSAVED, SAFETY_AGAIN,
)  # fmt: skip
"""Every fixed reply, e.g. for pre-synthesis or for the listener's own-voice filter."""


def minutes_phrase(seconds: float) -> str:
    """ "About 9 minutes left." rounded to what a listener cares about."""
    if seconds < 60:
        return "Less than a minute left."
    minutes = round(seconds / 60)
    unit = "minute" if minutes == 1 else "minutes"
    return f"About {minutes} {unit} left."


def section_phrase(number: int, count: int, title: str) -> str:
    """ "Section 3 of 8, Pelvic tilts." (``number`` is 1-based)."""
    base = f"Section {number} of {count}"
    return f"{base}, {title}." if title.strip() else f"{base}."


def status(number: int, count: int, title: str, seconds_left: float, state: str) -> str:
    """Where we are and how long is left; while paused or idle, also how to go on."""
    text = f"{section_phrase(number, count, title)} {minutes_phrase(seconds_left)}"
    if state == "paused":
        return f"{text} Say resume to continue."
    if state == "idle":
        return f"{text} Say resume to begin."
    return text


def going_to(number: int, count: int, title: str) -> str:
    """Announcement before a jump to the start of a section."""
    return section_phrase(number, count, title)


def continuing_at(number: int, count: int, title: str) -> str:
    """Said when a session starts from a saved place rather than the beginning."""
    phrase = section_phrase(number, count, title)
    return f"Continuing at s{phrase[1:]}"
