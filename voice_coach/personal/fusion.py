"""The template spotter the listener fuses with its recognizer (listen/spotting.py).

Each covers the other's weak side. The recognizer knows every phrase in any voice but hears a
reverberant room badly and may take "hold on" for "go on"; the templates know only the user's
own takes, and know them well in this room. So:

- a command the recognizer heard is checked against the templates: kept when its own
  templates match about as well as any other command's, else replaced by the command the
  templates heard clearly (or dropped when another command matches well but none clearly).
  A pause, stop or cry is never dropped, only told apart (pause / stop): ignoring one costs
  more than obeying it for nothing;
- a phrase the templates heard on their own (a close match, clearly closer than any other
  command) waits for the recognizer's word on the same speech: a command there decides (see
  above), words that run on beyond the phrase make it part of a sentence, and silence leaves
  it to the templates, through the listener's usual checks (voice, echo gate, continuation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice_coach.commands import ListenMode
from voice_coach.listen.spotting import Review, Spot
from voice_coach.personal.embedding import RATE, EmbeddingStream, Models
from voice_coach.personal.matcher import FrameScores, Matcher
from voice_coach.personal.templates import FIRST_S, TAIL_S, TemplateSet

SAFE = ("pause", "stop")
"""Commands the templates may put in place of one another but never drop."""


@dataclass(frozen=True)
class FusionParams:
    accept: float = 0.2
    """Score (mean cosine distance) at or below which a phrase is heard on the templates
    alone. Tuned: bench/LISTENING.md "Enrolled voice"."""
    margin: float = 0.15
    """How much closer than every other command a phrase heard alone must match. Tuned with
    ``accept``."""
    overrule: float = 0.08
    """How much closer another command's templates must match than those of the command the
    recognizer heard for the templates to overrule it."""
    sure: float = 0.25
    """Another command's templates must match at least this well (at most this score) to
    overrule the recognizer: a poor match everywhere says nothing."""
    hold_s: float = 0.25
    """How long after a spotted phrase's voice ends the spotter waits for the recognizer's
    word on it, s."""
    runs_on_s: float = 0.35
    """Words of a non-command utterance this far beyond a spotted phrase make it part of a
    sentence, s."""
    confirm_frames: int = 1
    """Frames (80 ms) a score must have risen again after its minimum (the phrase is over)."""


@dataclass
class _Pending:
    spot: Spot
    due: int


class Fusion:
    """Spotter over a profile's templates (see the module docstring)."""

    def __init__(self, templates: TemplateSet, params: FusionParams = FusionParams(),
                 models: Models | None = None, name: str = "") -> None:
        self.params = params
        self.matcher = Matcher(templates)
        self._stream = EmbeddingStream(models)
        self._pending: list[_Pending] = []
        self._emitted: list[Spot] = []  # handed to the listener, kept for the recognizer
        self._claimed_until = 0  # cleaned sample up to which speech has been decided
        self._mode = ListenMode.SESSION
        self.description = (f"{len(templates.templates)} enrolled takes"
                            f"{f' of profile {name}' if name else ''}")

    # --------------------------------------------------------------- Spotter protocol
    def feed(self, cleaned: np.ndarray, mode: ListenMode) -> None:
        self._mode = mode
        frames = self._stream.feed(cleaned)
        for vector, end in zip(frames.vectors, frames.ends, strict=True):
            self.matcher.push(vector[None, :], np.array([end]))
            spot = self._spot()
            if spot is not None:
                self._pending.append(_Pending(spot, spot.end + round(self.params.hold_s * RATE)))

    def review(self, command: str, start: int, end: int, safe: bool) -> Review:
        self._claim(start, end, command=True)
        for spot in self._emitted:  # the templates spoke first on this speech
            if start < spot.end and end > spot.start and (spot.command == command or not safe):
                return Review(None, f"heard already as {spot.command!r} on the user's takes")
        commands = self.matcher.commands
        if command not in commands:
            return Review(command)
        scores = self._scores(start, end)
        if scores is None:
            return Review(command)
        own = scores[commands.index(command)]
        others = [(s, c) for s, c in zip(scores, commands, strict=True)
                  if c not in (command, "wake")]
        if not others:
            return Review(command)
        best, other = min(others)
        if best + self.params.overrule > own or best > self.params.sure:
            return Review(command)
        why = f"the user's takes sound like {other!r} ({best:.2f}), not {command!r} ({own:.2f})"
        if best <= self.params.accept and self._mode == ListenMode.SESSION \
                and (not safe or other in SAFE):
            return Review(other, why)
        return Review(command) if safe else Review(None, why)

    def other_speech(self, start: int, end: int) -> None:
        runs_on = round(self.params.runs_on_s * RATE)
        self._pending = [p for p in self._pending
                         if not (start < p.spot.end and end > p.spot.start
                                 and (end > p.spot.end + runs_on
                                      or start < p.spot.start - runs_on))]

    def due(self, now: int) -> list[Spot]:
        ready = [p.spot for p in self._pending if p.due <= now]
        self._pending = [p for p in self._pending if p.due > now]
        for spot in ready:
            self._claim(spot.start, spot.end, command=False)
        self._emitted = [s for s in self._emitted if s.end > now - 3 * RATE] + ready
        return ready

    def reset(self) -> None:
        self._pending, self._emitted = [], []

    # --------------------------------------------------------------- internals
    def _allowed(self) -> list[int]:
        commands = self.matcher.commands
        if self._mode == ListenMode.WAKE:
            return [i for i, c in enumerate(commands) if c == "wake"]
        if self._mode == ListenMode.SESSION:
            return [i for i, c in enumerate(commands) if c != "wake"]
        return []  # a choice's answers are no enrolled commands

    def _spot(self) -> Spot | None:
        """A phrase whose best match ended ``confirm_frames`` ago, close and clear."""
        p = self.params
        allowed = self._allowed()
        recent = list(self.matcher.history)[-(p.confirm_frames + 3):]
        if not allowed or len(recent) < p.confirm_frames + 2:
            return None
        scores = np.stack([f.scores for f in recent])
        at = len(recent) - 1 - p.confirm_frames
        sub = scores[:, allowed]
        k = allowed[int(np.argmin(sub[at]))]
        low = scores[at, k]
        if low > p.accept or low > scores[:, k].min():
            return None
        others = np.delete(scores, k, axis=1)
        margin = float(others.min()) - low if others.size else np.inf
        if margin < p.margin:
            return None
        frame: FrameScores = recent[at]
        start = int(frame.starts[k]) - round(FIRST_S * RATE)
        end = frame.end - round(TAIL_S * RATE)
        if start < self._claimed_until or any(q.spot.end > start for q in self._pending):
            return None
        return Spot(self.matcher.commands[k], frame.phrases[k], float(low), margin, start, end)

    def _scores(self, start: int, end: int) -> np.ndarray | None:
        """Each command's best score among frames ending near the end of ``start:end``."""
        frames = self.matcher.window(end - round(0.1 * RATE), end + round(0.5 * RATE))
        if not frames:
            return None
        # Paths that began well before the recognizer's words matched other speech.
        scores = np.stack([np.where(f.starts >= start - round(0.6 * RATE), f.scores, np.inf)
                           for f in frames])
        return np.min(scores, axis=0)

    def _claim(self, start: int, end: int, command: bool) -> None:
        """Speech in ``start:end`` has been decided: no spot of it later."""
        self._claimed_until = max(self._claimed_until, end)
        if command:
            self._pending = [q for q in self._pending
                             if not (start < q.spot.end and end > q.spot.start)]
