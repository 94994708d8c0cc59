"""Templates against the stream: streaming subsequence DTW with cosine distance.

Every template is aligned with the recent stream of embedding frames, the alignment free to
start at any stream frame (subsequence DTW) and updated one stream frame at a time: each new
frame adds one column to every template's cost matrix at once (one matrix product and a few
vector operations for all templates). The steps are from the previous stream frame only
(the next template frame, the same one, or one skipped), so a column needs no loop over the
template, and the path's mean cost decides between them; a path may stay on one template
frame at most MAX_STAY frames (a phrase said up to 3x slower). DTW libraries
(librosa.sequence.dtw(subseq=True), dtaidistance's subsequence alignment) recompute a
whole matrix per query; this needs one column per 80 ms for ~150 templates.

A command's score at a frame is its best template's mean cosine distance along the path
that ends there; the scores of recent frames are kept for the listener's questions.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from voice_coach.personal.templates import TemplateSet

MAX_STAY = 2
"""Stream frames a path may stay on one template frame beyond the first."""
HISTORY = 40
"""Stream frames of scores kept (3.2 s)."""


@dataclass(frozen=True)
class FrameScores:
    end: int
    """Stream sample at which this frame's audio ends."""
    scores: np.ndarray
    """(commands,) best template's mean cosine distance per command (inf: no path yet)."""
    starts: np.ndarray
    """(commands,) stream sample at which that best path's first frame ends (the phrase's
    voice started about templates.FIRST_S before)."""
    phrases: tuple[str, ...]
    """The best template's phrase per command."""


class Matcher:
    """Feed embedding frames (raw, with their end samples); read per-command scores."""

    def __init__(self, templates: TemplateSet) -> None:
        self.templates = templates
        self.commands = templates.commands
        rows = [t.vectors for t in templates.templates]
        self._T = np.concatenate(rows).astype(np.float32)  # (R, 96)
        sizes = np.array([len(r) for r in rows])
        firsts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self._first = np.zeros(len(self._T), bool)
        self._first[firsts] = True
        self._second = np.zeros(len(self._T), bool)
        self._second[firsts + 1] = True
        self._last = firsts + sizes - 1
        index = {c: i for i, c in enumerate(self.commands)}
        self._cmd = np.array([index[t.command] for t in templates.templates])
        self._phrase = [t.phrase for t in templates.templates]
        self.history: deque[FrameScores] = deque(maxlen=HISTORY)
        self.reset()

    def reset(self) -> None:
        """Forget the stream's paths (scores start again from the next frame)."""
        n = len(self._T)
        self._D = np.full(n, np.inf)
        self._L = np.zeros(n)
        self._stay = np.zeros(n, np.int64)
        self._start = np.zeros(n, np.int64)
        self.history.clear()

    def push(self, vectors: np.ndarray, ends: np.ndarray) -> None:
        """Add stream frames (raw embeddings) ending at samples ``ends``."""
        for vector, end in zip(self.templates.normalize(vectors), ends, strict=True):
            self._column(vector, int(end))

    def _column(self, frame: np.ndarray, end: int) -> None:
        cost = 1.0 - self._T @ frame
        D, L = self._D, self._L
        # Candidates from the previous column: the template frame before (a new path at a
        # template's first frame), the same frame, the one before that.
        d_diag, l_diag = np.roll(D, 1), np.roll(L, 1)
        s_diag = np.roll(self._start, 1)
        d_diag[self._first], l_diag[self._first] = 0.0, 0.0
        s_diag[self._first] = end
        d_skip, l_skip = np.roll(D, 2), np.roll(L, 2)
        s_skip = np.roll(self._start, 2)
        d_skip[self._first | self._second] = np.inf
        d_stay = np.where(self._stay < MAX_STAY, D, np.inf)
        means = np.stack([(d_diag + cost) / (l_diag + 1), (d_stay + cost) / (L + 1),
                          (d_skip + cost) / (l_skip + 1)])
        pick = np.argmin(means, axis=0)
        self._D = np.choose(pick, [d_diag, d_stay, d_skip]) + cost
        self._L = np.choose(pick, [l_diag, L, l_skip]) + 1
        self._start = np.choose(pick, [s_diag, self._start, s_skip])
        self._stay = np.where(pick == 1, self._stay + 1, 0)
        last = self._last
        score = self._D[last] / np.maximum(self._L[last], 1)
        best = np.full(len(self.commands), np.inf)
        which = np.zeros(len(self.commands), np.int64)
        order = np.argsort(score)[::-1]  # best last: of repeated indexes the last one stays
        best[self._cmd[order]] = score[order]
        which[self._cmd[order]] = order
        self.history.append(FrameScores(end, best, self._start[last[which]],
                                        tuple(self._phrase[k] for k in which)))

    def window(self, first_end: int, last_end: int) -> list[FrameScores]:
        """The kept frames ending from ``first_end`` to ``last_end`` (stream samples)."""
        return [f for f in self.history if first_end <= f.end <= last_end]
