"""The spoken enrollment: the coach names each phrase, the user says it a few times from bed,
each take is checked, a bad one is asked again with the reason, and each phrase's takes are
saved together once they are all in.

What is saved, and when (the unit is one phrase of one command):
- a phrase's new takes replace its earlier ones only when at least ``min_good`` of them
  passed the checks (``profile.replace_takes``: one atomic switch); otherwise the earlier
  takes stay and the summary says so;
- Ctrl-C (or SIGTERM) keeps every phrase finished before it and drops the takes of the
  phrase in progress, whose earlier takes (if any) stay: nothing half-done is listed, and
  the summary names what was dropped.
The audio path (``EnrollAudio``) is the sound card (``enroll_live``) or the simulated room
(``enroll_sim``); this module does no audio I/O itself.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from voice_coach.commands import COMMANDS, WAKE, normalize
from voice_coach.errors import UserError
from voice_coach.listen.phrases import PhraseTable
from voice_coach.personal import profile
from voice_coach.personal.take_check import Problem, Verdict

DEFAULT_COMMANDS: tuple[str, ...] = ("pause", "resume", "next", "back", "repeat", "stop",
                                     "slower", "faster")
"""Enrolled by default, with the wake phrase: the commands a session needs, and the pairs
that collide (pause/resume, back/resume). The rest can be added one at a time."""
MAX_TRIES = 3
"""Attempts at one take before it is skipped."""


@dataclass(frozen=True)
class Item:
    command: str
    """A command of voice_coach.commands.COMMANDS, or "wake"."""
    phrase: str
    """Normalized words the user is asked to say."""


class EnrollAudio(Protocol):
    def say(self, text: str) -> None:
        """Speak ``text``; return once it has been heard out and the room has settled."""
        ...

    def record(self) -> np.ndarray:
        """One take from the microphone, float32 16 kHz (the voice, or the silence heard)."""
        ...


Judge = Callable[[np.ndarray, str, str], tuple[Verdict, str]]
"""(take, command, phrase) -> (verdict, what the recognizer heard)."""


@dataclass
class Outcome:
    item: Item
    good: int = 0
    """Takes that passed the checks."""
    bad: list[str] = field(default_factory=list)
    """Problems of the takes asked again, in order."""
    skipped: int = 0
    """Takes given up on after MAX_TRIES attempts."""
    saved: bool = False
    interrupted: bool = False


def plan(table: PhraseTable, takes: Sequence[profile.Take], command: str | None = None,
         phrase: str | None = None) -> list[Item]:
    """What to enroll: the wake phrase and the first phrasing of each default command; for
    one command, its phrase(s) already enrolled, else its first phrasing; ``phrase`` chooses
    the words (the user's own, in or out of the table)."""
    first = {group.command: group.phrases[0] for group in table.commands}
    first[WAKE] = table.wake
    if command is None:
        if phrase is not None:
            raise UserError("--phrase needs the command it means, e.g. enroll pause --phrase "
                            "'hold on'")
        return [Item(WAKE, table.wake)] + [Item(c, first[c]) for c in DEFAULT_COMMANDS]
    if command not in first:
        raise UserError(f"unknown command {command!r} (known: wake, {', '.join(COMMANDS)})")
    if phrase is not None:
        words = normalize(phrase)
        if not words:
            raise UserError(f"--phrase {phrase!r} has no words")
        check_phrase(Item(command, words), {**table.phrase_map(False), table.wake: WAKE})
        return [Item(command, words)]
    enrolled = dict.fromkeys(t.phrase for t in takes if t.command == command)
    return [Item(command, p) for p in enrolled] or [Item(command, first[command])]


def check_phrase(item: Item, phrase_map: Mapping[str, str]) -> None:
    """Refuse a user's own wording that the phrase table gives to another command ("hold on"
    for resume): the listener would hear one command for the other."""
    other = phrase_map.get(item.phrase)
    if other is not None and other != item.command:
        raise UserError(f"{item.phrase!r} already means {other}; choose other words for "
                        f"{item.command}")


def enroll(items: Sequence[Item], audio: EnrollAudio, judge: Judge, folder: Path,
           takes: int = 3, note: Callable[[str], None] = print) -> tuple[list[Outcome], bool]:
    """Run the spoken enrollment; returns each phrase's outcome and whether it was
    interrupted (Ctrl-C), in which case the phrase in progress was not saved."""
    outcomes: list[Outcome] = []
    n = "once" if takes == 1 else ("twice" if takes == 2 else f"{takes} times")
    try:
        audio.say(f"Let's learn your voice. Stay where you are. When I stop, say each "
                  f"phrase I name, {n}, in your usual voice.")
        for item in items:
            outcome = Outcome(item)
            outcomes.append(outcome)
            good = _takes(item, takes, audio, judge, outcome, note)
            save_phrase(folder, good, takes, outcome, note)
        audio.say("Thank you. I know your voice a little better now.")
    except KeyboardInterrupt:
        if outcomes and not outcomes[-1].saved:
            outcomes[-1].interrupted = True
        return outcomes, True
    return outcomes, False


def check_writable(folder: Path) -> None:
    """One line naming the folder unless takes can be saved there; creates nothing."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    why = ""
    if existing is None or not existing.is_dir():
        why = f"{existing} is a file"
    elif existing == folder:
        try:
            fd, probe = tempfile.mkstemp(prefix=".probe.", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as error:
            why = error.strerror or str(error)
    elif not os.access(existing, os.W_OK | os.X_OK):
        why = f"{existing} is not writable"
    if why:
        raise UserError(f"voice profile folder {folder} cannot be written ({why}); choose "
                        "another with --state-dir or --profile")


def min_good(takes: int) -> int:
    """Good takes a phrase needs to be saved: two (one if only one is asked for)."""
    return min(2, takes)


def _takes(item: Item, takes: int, audio: EnrollAudio, judge: Judge, outcome: Outcome,
           note: Callable[[str], None]) -> list[np.ndarray]:
    good: list[np.ndarray] = []
    prompt = f"Say: {item.phrase}."
    unclear_ok = False  # the recognizer cannot spell this user's phrase: their voice decides
    for k in range(takes):
        for attempt in range(MAX_TRIES):
            audio.say(prompt)
            pcm = audio.record()
            verdict, heard = judge(pcm, item.command, item.phrase)
            where = f"{item.command} {item.phrase!r} take {k + 1}"
            if verdict.problem == Problem.UNCLEAR and (unclear_ok or attempt > 0 and
                                                       outcome.bad[-1:] == [Problem.UNCLEAR]):
                # Twice a clear voice of the right length, neither the words nor another
                # command: an accent or a voice the recognizer hears badly, which is what the
                # takes are for. Accepted, for the rest of this phrase too.
                unclear_ok, verdict = True, Verdict(None)
                heard += " (words not confirmed)"
            if verdict.ok:
                good.append(pcm)
                outcome.good += 1
                note(f"{where}: good ({len(pcm) / profile.RATE:.1f} s, heard {heard!r})")
                prompt = "Again." if k + 2 < takes else "Once more."
                break
            outcome.bad.append(str(verdict.problem))
            note(f"{where}: {verdict.problem} (heard {heard!r}), asked again"
                 if attempt + 1 < MAX_TRIES else f"{where}: {verdict.problem}, skipped")
            if attempt + 1 < MAX_TRIES:
                prompt = f"{verdict.spoken()} Say: {item.phrase}."
            else:
                outcome.skipped += 1
                audio.say("Let's leave that one.")
                prompt = f"Say: {item.phrase}."
    return good


def save_phrase(folder: Path, good: list[np.ndarray], takes: int, outcome: Outcome,
                note: Callable[[str], None]) -> None:
    item = outcome.item
    if len(good) >= min_good(takes):
        profile.replace_takes(folder, item.command, item.phrase, good)
        outcome.saved = True
        note(f"{item.command} {item.phrase!r}: {len(good)} takes saved")
    else:
        note(f"{item.command} {item.phrase!r}: only {len(good)} good takes of {takes}; "
             "nothing saved (earlier takes, if any, kept)")


def summary(outcomes: Sequence[Outcome], interrupted: bool) -> list[str]:
    """One line per phrase: saved, not saved and why, or dropped by the interruption."""
    lines = []
    for o in outcomes:
        what = f"{o.item.command:7s} {o.item.phrase!r}"
        if o.saved:
            extra = f", {len(o.bad)} bad ones not kept" if o.bad else ""
            lines.append(f"{what}: saved {o.good} takes{extra}")
        elif o.interrupted:
            lines.append(f"{what}: interrupted; its {o.good} new takes dropped, earlier "
                         "takes kept")
        else:
            lines.append(f"{what}: NOT saved ({o.good} good takes; problems: "
                         f"{', '.join(o.bad) or 'none'})")
    if interrupted:
        lines.append("interrupted: the phrases above marked saved are kept")
    return lines
