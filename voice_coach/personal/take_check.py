"""Is an enrollment take good enough to keep? Pure functions of the take's samples and of what
the ears made of it (Silero's voice probability and the recognizer's words come from
``voice_coach.app.enroll_ears``: ``personal`` stays below ``listen`` in the package graph).

Each check returns a Problem or None; the first problem found is the one the coach names,
in the order a person can act on: say something, louder/softer, then the words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

RATE = 16000
"""Sample rate of a take, Hz (as ``profile.RATE``)."""
FRAME_S = 0.02
"""Frame over which loudness is measured, s."""


class Problem(StrEnum):
    SILENT = "silent"
    QUIET = "quiet"
    LOUD = "loud"
    CLIPPED = "clipped"
    NOISY = "noisy"
    NO_VOICE = "no voice"
    SHORT = "short"
    LONG = "long"
    UNCLEAR = "unclear"
    WRONG = "wrong phrase"


SPOKEN: Mapping[Problem, str] = {
    Problem.SILENT: "I didn't hear anything. Please say it when I stop talking.",
    Problem.QUIET: "That was very quiet. A little louder, please.",
    Problem.LOUD: "That was too loud for the microphone. A little softer, please.",
    Problem.CLIPPED: "That was too loud for the microphone. A little softer, please.",
    Problem.NOISY: "It is noisy here. Please say it a little louder.",
    Problem.NO_VOICE: "That didn't sound like a voice. Please say it again.",
    Problem.SHORT: "That was very short. Please say the whole phrase.",
    Problem.LONG: "That was long. Please say just the phrase, then stop.",
    Problem.UNCLEAR: "I didn't catch that. Once more, please, a little clearer.",
    Problem.WRONG: "That sounded like another command.",
}
"""What the coach says about each problem before asking again."""


@dataclass(frozen=True)
class TakeLimits:
    """What a usable take is. Loose on purpose: the user's own voice, as it is, is the point."""

    quiet_dbfs: float = -42.0
    """Loudest 20 ms frame below this (RMS, dBFS) is too quiet."""
    loud_dbfs: float = -2.0
    """Loudest 20 ms frame above this (RMS, dBFS) is too loud."""
    clip_level: float = 0.99
    """|sample| at or above this counts as clipped (full scale = 1)."""
    clip_fraction: float = 0.001
    """Fraction of clipped samples above which a take is clipped."""
    min_snr_db: float = 12.0
    """Loudest frame over the room's floor (10th percentile frame), dB."""
    min_voice: float = 0.5
    """Highest Silero speech probability (0..1) at or above which the take holds a voice."""
    min_speech_s: float = 0.2
    """Shortest sound span, s (a click, a cough's bark)."""
    max_speech_s: float = 3.5
    """Longest sound span, s (a sentence instead of a phrase)."""


def frame_db(pcm: np.ndarray) -> np.ndarray:
    """RMS of each 20 ms frame, dBFS."""
    n = round(FRAME_S * RATE)
    x = np.asarray(pcm, np.float64)
    frames = x[: len(x) // n * n].reshape(-1, n)
    if not len(frames):
        return np.full(1, -120.0)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def sound_span(pcm: np.ndarray, limits: TakeLimits = TakeLimits()) -> float:
    """Seconds from the first to the last frame well above the floor (the phrase's length)."""
    db = frame_db(pcm)
    floor = float(np.percentile(db, 10))
    active = np.flatnonzero(db >= max(floor + limits.min_snr_db / 2, db.max() - 30.0))
    return 0.0 if not len(active) else (active[-1] - active[0] + 1) * FRAME_S


def sound_problem(pcm: np.ndarray, limits: TakeLimits = TakeLimits()) -> Problem | None:
    """Level and clipping of the take, and whether it stands out of the room's floor."""
    x = np.asarray(pcm, np.float32)
    db = frame_db(x)
    loudest = float(db.max())
    floor = float(np.percentile(db, 10))
    if loudest < -70.0 or (loudest < limits.quiet_dbfs and loudest - floor < limits.min_snr_db):
        return Problem.SILENT  # nothing stands out of the room's own noise
    if np.mean(np.abs(x) >= limits.clip_level) > limits.clip_fraction:
        return Problem.CLIPPED
    if loudest > limits.loud_dbfs:
        return Problem.LOUD
    if loudest < limits.quiet_dbfs:
        return Problem.QUIET
    if loudest - floor < limits.min_snr_db:
        return Problem.NOISY
    return None


def length_problem(pcm: np.ndarray, limits: TakeLimits = TakeLimits()) -> Problem | None:
    span = sound_span(pcm, limits)
    if span < limits.min_speech_s:
        return Problem.SHORT
    if span > limits.max_speech_s:
        return Problem.LONG
    return None


def voice_problem(voice: float, limits: TakeLimits = TakeLimits()) -> Problem | None:
    """``voice``: Silero's highest speech probability over the take."""
    return None if voice >= limits.min_voice else Problem.NO_VOICE


def phrase_commands(heard: str, phrase_map: Mapping[str, str]) -> list[str]:
    """Commands whose phrase occurs as whole words in ``heard``, longest phrases first, each
    stretch of words counted once."""
    words = heard.split()
    used = [False] * len(words)
    found: list[str] = []
    for phrase in sorted(phrase_map, key=lambda p: -len(p.split())):
        target = phrase.split()
        for i in range(len(words) - len(target) + 1):
            if words[i:i + len(target)] == target and not any(used[i:i + len(target)]):
                used[i:i + len(target)] = [True] * len(target)
                found.append(phrase_map[phrase])
    return found


def words_problem(heard: str, command: str, phrase: str,
                  phrase_map: Mapping[str, str]) -> tuple[Problem | None, str]:
    """Did the recognizer (restricted to the phrase table) hear roughly the expected words?

    Lenient for accents: any phrasing of the expected command, or any word of the phrase,
    will do, unless another command was heard ("go on" for "go back" shares a word).
    ``phrase_map``: normalized phrase -> command, the wake phrase -> "wake". A phrase not in
    the table (the user's own wording) is not checked: the recognizer cannot spell it.
    Returns the problem and, for WRONG, the command it sounded like.
    """
    if phrase not in phrase_map:
        return None, ""
    found = phrase_commands(heard, phrase_map)
    if command in found:
        return None, ""
    if found:
        return Problem.WRONG, found[0]
    if set(phrase.split()) & set(heard.split()):
        return None, ""
    return Problem.UNCLEAR, ""


@dataclass(frozen=True)
class Verdict:
    problem: Problem | None
    """None for a good take."""
    sounded_like: str = ""
    """For WRONG: the command the recognizer heard instead."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    def spoken(self) -> str:
        """What the coach says about the take before asking again."""
        if self.problem is None:
            return ""
        if self.problem == Problem.WRONG and self.sounded_like:
            return f"That sounded like {self.sounded_like}."
        return SPOKEN[self.problem]


def judge(pcm: np.ndarray, voice: float, heard: str, command: str, phrase: str,
          phrase_map: Mapping[str, str], limits: TakeLimits = TakeLimits()) -> Verdict:
    """All checks in the order the user can act on them; ``voice`` and ``heard`` are what
    Silero and the recognizer made of ``pcm`` (see ``voice_problem``, ``words_problem``)."""
    for problem in (sound_problem(pcm, limits), voice_problem(voice, limits),
                    length_problem(pcm, limits)):
        if problem is not None:
            return Verdict(problem)
    problem, other = words_problem(heard, command, phrase, phrase_map)
    return Verdict(problem, other)
