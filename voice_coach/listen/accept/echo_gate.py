"""Is a parsed command the user's, or the coach's own voice coming back? Evidence and verdict.

Evidence gathered for the span of the command's words:
- residual: level of the echo-cancelled signal over the level of the echo the canceller
  removed. Echo alone leaves only a residual far below what was removed (tens of dB); a user
  speaking over the coach leaves their own voice, at most a few dB below the echo.
- explained: the share of the words' sound that the playback explains through a lag and short
  filter fitted to each 25 ms of them (echo_fit.py): right even while the cancellers have lost
  the echo path (a new output stream).
- reference: what the coach was saying at that moment, decoded on demand from the playback
  reference with a second recognizer; a command whose phrase the coach just said is echo.
- per-command floors: while the coach is audible, costly commands (stop, restart, next, back)
  need more confidence than cheap ones (pause).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from voice_coach.audio import LISTEN_RATE
from voice_coach.commands import COSTLY_COMMANDS
from voice_coach.listen.engines.base import Recognizer, as_int16
from voice_coach.listen.phrases import PhraseTable

FRAME = 160
"""Samples per energy frame (10 ms at 16 kHz)."""


@dataclass(frozen=True)
class GateParams:
    """Thresholds of the echo gate."""

    coach_active_dbfs: float = -50.0
    """Echo (energy the canceller removed) above this level during the words means the
    coach was audible, in dBFS."""
    min_residual_db: float = -14.0
    """Lowest cleaned-over-removed level (dB) accepted while the coach is audible."""
    reference_margin_s: float = 0.35
    """Extra reference decoded on each side of the delayed word span, s."""
    max_explained: float = 0.5
    """Highest share (0..1) of the words' energy the playback may explain for them to be the
    user's (echo_fit.py)."""
    fit_context_s: float = 0.75
    """Mic before a command's words where the fit is tried on the coach alone (and the end
    of other words a command may continue, where it tells the coach's from the user's), s."""
    fit_guard_s: float = 0.25
    """Left out between that context and the words, s: a word's first sound often decodes
    as nothing ("pause" over the coach heard as "ow")."""
    fit_proven: float = 0.8
    """Share (0..1) of that context the fit must explain for it to be trusted on this path."""
    fit_unexplained: float = 0.1
    """Highest share of the words a trusted fit may explain for them to be another voice."""
    double_talk_floor: float = 0.0
    """Added to a costly command's confidence floor while the coach is audible (0..1)."""
    costly: tuple[str, ...] = COSTLY_COMMANDS
    """Commands whose false acceptance costs the user their place."""


@dataclass(frozen=True)
class Evidence:
    """What the gate knew about one command."""

    echo_dbfs: float
    """Level of the echo removed by the canceller during the words, dBFS."""
    residual_db: float
    """Cleaned level over removed echo level during the words, dB (large = user alone)."""
    reference_text: str
    """What the coach's playback decoded to around the words ("" = not decoded)."""
    explained: float = 0.0
    """Share (0..1) of the words' energy the playback explains (echo_fit.py)."""


class EnergyLog:
    """Per-10 ms energies of the mic and the cleaned signal, indexed by absolute frame."""

    def __init__(self, seconds: float = 30.0) -> None:
        self._size = int(seconds * LISTEN_RATE / FRAME)
        self._mic = np.zeros(self._size)
        self._clean = np.zeros(self._size)
        self.frames = 0
        """Frames stored so far (absolute index of the next one)."""

    def add(self, mic: np.ndarray, clean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Append whole frames (both arrays equally long, a multiple of FRAME); returns the
        new frames' mean-square energies (mic, clean)."""
        n = len(mic) // FRAME
        mic_e = np.mean(mic[: n * FRAME].reshape(n, FRAME).astype(np.float64) ** 2, 1)
        clean_e = np.mean(clean[: n * FRAME].reshape(n, FRAME).astype(np.float64) ** 2, 1)
        idx = (self.frames + np.arange(n)) % self._size
        self._mic[idx], self._clean[idx] = mic_e, clean_e
        self.frames += n
        return mic_e, clean_e

    def levels(self, spans: Sequence[tuple[int, int]]) -> tuple[float, float]:
        """(removed echo dBFS, cleaned-over-removed dB) over frame spans [a, b)."""
        idx = [i % self._size for a, b in spans
               for i in range(max(a, self.frames - self._size), min(b, self.frames))]
        if not idx:
            return -120.0, 120.0
        mic, clean = self._mic[idx], self._clean[idx]
        removed = float(np.mean(np.maximum(mic - clean, 0.0)))
        kept = float(np.mean(clean))
        echo_dbfs = 10 * np.log10(max(removed, 1e-12)) + 3.01  # re full-scale sine
        return float(echo_dbfs), float(10 * np.log10(max(kept, 1e-12) / max(removed, 1e-12)))


def phrase_in(text: str, phrases: Sequence[str]) -> str | None:
    """The first of ``phrases`` found in ``text`` as whole words, or None."""
    padded = f" {text} "
    for phrase in phrases:
        if f" {phrase} " in padded:
            return phrase
    return None


class ReferenceDecoder:
    """Decodes stretches of the playback reference with its own recognizer (built lazily)."""

    def __init__(self, create: Callable[[PhraseTable], Recognizer], table: PhraseTable) -> None:
        self._create = create
        self.table = table
        self._rec: Recognizer | None = None

    def build(self) -> Recognizer:
        """The recognizer, built on first use (or ahead of it)."""
        if self._rec is None:
            self._rec = self._create(self.table)
        return self._rec

    def decode(self, ref16: np.ndarray, keep: tuple[float, float] | None = None) -> str:
        """What the recognizer makes of ``ref16`` (16 kHz float): the words overlapping
        ``keep`` (seconds from the start of ``ref16``), or all of them."""
        rec = self.build()
        rec.reset()
        pad = np.zeros(int(PAD_S * LISTEN_RATE), np.int16)
        base = float(getattr(rec, "time", 0.0)) + PAD_S  # recognizer time of ref16[0]
        hyps = rec.accept(np.concatenate([pad, as_int16(ref16), pad, pad]))
        hyps += rec.flush()
        words = [w for h in hyps for w in h.words
                 if keep is None or (w.end - base > keep[0] and w.start - base < keep[1])]
        return " ".join(w.word for w in words)


PAD_S = 0.3
"""Silence around a decoded reference stretch, so the recognizer's VAD opens and closes."""


def is_coach_residual(echo_dbfs: float, residual_db: float, params: GateParams) -> bool:
    """Whether words with these levels (``Evidence``'s) were the coach's voice left over by the
    canceller: the coach was audible and what remained is far below what was removed."""
    return echo_dbfs > params.coach_active_dbfs and residual_db < params.min_residual_db


def fit_clears(explained: float, context: float, params: GateParams) -> bool:
    """Whether the fit alone shows the words are not the coach's: it explains the coach
    just before them (a direct path it can follow) and next to nothing of the words. Then
    decoding the playback (a second recognizer on the decision's path) is not needed."""
    return context >= params.fit_proven and explained <= params.fit_unexplained


def verdict(command: str, confidence: float, evidence: Evidence, table_phrases: Sequence[str],
            params: GateParams, min_confidence: float) -> str:
    """"" to accept, else why the command is taken for echo."""
    active = evidence.echo_dbfs > params.coach_active_dbfs
    if is_coach_residual(evidence.echo_dbfs, evidence.residual_db, params):
        return f"echo residual {evidence.residual_db:.1f} dB < {params.min_residual_db:.1f} dB"
    if evidence.explained > params.max_explained:
        return f"the playback explains {evidence.explained:.0%} of its sound"
    said = phrase_in(evidence.reference_text, table_phrases) if evidence.reference_text else None
    if said is not None:
        return f"coach said {said!r} ({evidence.reference_text!r})"
    if active and command in params.costly and params.double_talk_floor > 0:
        floor = min(1.0, min_confidence + params.double_talk_floor)
        if confidence < floor:
            return f"{command!r} confidence {confidence:.2f} < {floor:.2f} during coach speech"
    return ""
