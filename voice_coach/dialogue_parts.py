"""What the Dialogue adds to the Session's vocabulary: its actions, the routines it offers,
the phrasings of each choice, and the per-session record that becomes a history line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from voice_coach.cues import Cue
from voice_coach.events import Action, Progress, SaveProgress, StateChanged
from voice_coach.listen.phrases import KNOWN_COMMANDS, normalize
from voice_coach.navigation import Sections

# What the dialogue says: short, so a reply never keeps the user waiting.
ASK = "Which practice?"
NOT_UNDERSTOOD = "Sorry, which practice?"
GIVE_UP = "Okay, maybe later."
NOTHING_TO_RESUME = "There is no unfinished practice to resume."
NO_USUAL = "There is no usual practice yet."
RESUMING = "Resuming {title}."
STARTING = "{title}. Let's begin."
CANCELLED = "Okay."

USUAL = "usual"
"""Choice key for "the usual" (the routine played last)."""
USUAL_PHRASES = ("the usual", "same as last time", "the same again")

_FILLER = frozenset({"a", "an", "and", "the", "of", "for", "with", "to", "my", "your"})


@dataclass(frozen=True)
class RoutineOption:
    """A routine the user can pick by voice, already loaded and compiled."""

    id: str
    title: str
    cues: tuple[Cue, ...]
    rate: float = 1.0
    """The routine's own speaking-rate factor (multiplied with the configured rate)."""


@dataclass
class Wait:
    """An utterance of the dialogue's own that something waits for."""

    utterance_id: int
    deadline: float
    """Stream time after which we stop waiting for its SpeechDone (it may have been lost)."""


@dataclass(frozen=True)
class PlayEarcon:
    """Play the short chime ``name`` (so far only "wake") now."""

    name: str = "wake"


@dataclass(frozen=True)
class SetListenMode:
    """Tell the listener what to accept: "wake", "choice" (with ``choices``) or "session"."""

    mode: str
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


@dataclass(frozen=True)
class SessionEnded:
    summary: SessionSummary


DialogueAction = Action | PlayEarcon | SetListenMode | SessionStarted | SessionEnded


def choice_phrases(routines: Iterable[RoutineOption]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Phrasings for each routine: its title, its id as words, and the title's first one or
    two words (e.g. "lower back") when no other routine starts the same way."""
    options = list(routines)
    taken = {phrase for phrase in KNOWN_COMMANDS} | set(USUAL_PHRASES) | {"resume", "stop"}
    words = {r.id: [w for w in normalize(r.title).split() if w not in _FILLER] for r in options}
    out: list[tuple[str, tuple[str, ...]]] = []
    for r in options:
        own = [normalize(r.title), normalize(r.id.replace("-", " "))]
        for n in (2,):
            prefix = " ".join(words[r.id][:n])
            clashes = any(" ".join(words[o.id][:n]) == prefix for o in options if o.id != r.id)
            if prefix and not clashes and len(words[r.id]) >= n:
                own.append(prefix)
        phrases = tuple(p for p in dict.fromkeys(own) if p and p not in taken)
        taken.update(phrases)
        out.append((r.id, phrases))
    out.append((USUAL, USUAL_PHRASES))
    return tuple(out)


class SessionTracker:
    """Counts what the history line needs while a session runs."""

    def __init__(self, routine_id: str, cues: Sequence[Cue], now: float, start_index: int):
        self.routine_id = routine_id
        self.sections = Sections.of(cues)
        ends = [s - 1 for s in self.sections.starts[1:]] + ([len(cues) - 1] if cues else [])
        self._section_ends = set(ends)
        self.started = now
        self.start_index = start_index
        self.index = start_index
        self.pauses = 0
        self._completed: set[int] = set()

    def note(self, action: object) -> None:
        if isinstance(action, StateChanged) and action.state == "paused":
            self.pauses += 1
        elif isinstance(action, SaveProgress):
            self.index = action.progress.cue_index
            if self.index in self._section_ends or action.progress.finished:
                self._completed.add(self.sections.position(self.index))

    def summary(self, how: str, now: float, progress: Progress | None) -> SessionSummary:
        index = progress.cue_index if progress is not None else self.index
        return SessionSummary(
            self.routine_id, self.start_index, index, len(self._completed),
            self.sections.count, self.pauses, round(max(0.0, now - self.started), 2), how,
        )


def choices_mapping(mode: SetListenMode) -> Mapping[str, Sequence[str]] | None:
    """The choices of ``mode`` as the Listener's ``set_mode`` takes them."""
    return {key: list(phrases) for key, phrases in mode.choices} if mode.mode == "choice" else None
