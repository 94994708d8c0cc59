"""Enrollment takes -> templates: the embedding frames of each take's spoken phrase.

Each take is cut to its voiced part (Silero VAD, listen/vad.py), with enough audio before it
for the embedding window (0.76 s) and a little after, embedded (embedding.py), and kept as
the frames whose windows end from just after the voice starts to just after it ends. All
frames are centred on the profile's mean frame (what every take shares: the room, the mic,
the voice) and scaled to unit length, so a dot product is a cosine similarity of what
differs between phrases.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice_coach.errors import UserError
from voice_coach.personal.embedding import DIM, RATE, STEP, Models, embed_clip
from voice_coach.personal.profile import Take

log = logging.getLogger(__name__)

LEAD_S = 1.0
"""Audio kept (or silence added) before the voice, s: a window needs 0.76 s behind it."""
FIRST_S = 0.24
"""The first template frame ends this long after the voice starts, s (earlier windows hold
mostly what came before the phrase)."""
TAIL_S = 0.16
"""The last template frame ends this long after the voice ends, s (the room's reverberation
and the phrase's last sound; longer would delay the decision)."""
MIN_FRAMES = 3
"""Fewest frames a template may have (a voice of 0.1 s gives none worth matching)."""


@dataclass(frozen=True)
class Template:
    command: str
    """Canonical command or "wake"."""
    phrase: str
    vectors: np.ndarray
    """(frames, 96) centred unit vectors."""


@dataclass(frozen=True)
class TemplateSet:
    templates: tuple[Template, ...]
    mean: np.ndarray
    """(96,) the frame every template was centred on; stream frames are centred on it too."""

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(sorted({t.command for t in self.templates}))

    def normalize(self, vectors: np.ndarray) -> np.ndarray:
        """Frames centred on ``mean`` and scaled to unit length."""
        x = np.asarray(vectors, np.float32) - self.mean
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


def voiced_span(pcm: np.ndarray) -> tuple[int, int] | None:
    """First and one-past-last sample of the voice in a take (Silero), None without one."""
    from voice_coach.listen.vad import Vad

    vad = Vad(threshold=0.5, min_speech_s=0.1, min_silence_s=0.3, pad_s=0.0)
    segments = vad.process(np.asarray(pcm, np.float32)) + vad.flush()
    if not segments:
        return None
    return round(segments[0][0] * RATE), min(len(pcm), round(segments[-1][1] * RATE))


def take_frames(pcm: np.ndarray, models: Models | None = None) -> np.ndarray | None:
    """The raw (uncentred) embedding frames of a take's phrase, None without a voice."""
    span = voiced_span(pcm)
    if span is None:
        return None
    start, end = span
    lead = round(LEAD_S * RATE)
    before = pcm[max(0, start - lead):start]
    # Zeros where the take has too little audio before the voice; whole steps, so the frame
    # grid starts on the voice's side.
    clip = np.concatenate([np.zeros(lead - len(before), np.float32), before,
                           pcm[start:min(len(pcm), end + round(TAIL_S * RATE) + STEP)]])
    frames = embed_clip(clip, models)
    rel = frames.ends - lead  # frame ends relative to the voice's start, samples
    keep = (rel >= FIRST_S * RATE) & (rel <= end - start + TAIL_S * RATE)
    return frames.vectors[keep] if keep.sum() >= MIN_FRAMES else None


def build(takes: Sequence[Take], models: Models | None = None) -> TemplateSet:
    """Templates of ``takes``; a take that cannot be read is a UserError naming its file, a
    take without a voice is left out (one warning line), and no take left is a UserError."""
    raw: list[tuple[Take, np.ndarray]] = []
    for take in takes:
        frames = take_frames(take.samples(), models)
        if frames is None:
            log.warning("%s: no voice found in this enrollment take, left out (record it "
                        "again)", take.path)
            continue
        raw.append((take, frames))
    if not raw:
        raise UserError(f"{takes[0].path.parent}: no voice found in any enrollment take")
    return from_frames([(t.command, t.phrase, f) for t, f in raw])


def from_frames(items: Sequence[tuple[str, str, np.ndarray]]) -> TemplateSet:
    """Templates from (command, phrase, raw frames) of each take."""
    if not items:
        raise ValueError("no takes")
    mean = np.mean(np.concatenate([f for _, _, f in items]), axis=0).astype(np.float32)
    empty = TemplateSet((), mean)
    return TemplateSet(tuple(Template(c, p, empty.normalize(f)) for c, p, f in items), mean)


CACHE = "templates.npz"
"""Templates kept beside the takes, rebuilt when the takes change (building costs ~0.2 s of
CPU per take, loading them a few ms)."""


def _fingerprint(takes: Sequence[Take]) -> str:
    import hashlib

    h = hashlib.sha1(b"templates 2")
    for take in takes:
        stat = take.path.stat()
        h.update(f"{take.command}\n{take.phrase}\n{take.path.name}\n{stat.st_size}\n"
                 f"{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()


def load_or_build(folder: Path, takes: Sequence[Take]) -> TemplateSet:
    """``build(takes)``, from ``folder``'s cache when it was made of these very takes; a
    damaged cache is rebuilt."""
    try:
        key = _fingerprint(takes)
    except OSError as error:
        raise UserError(f"{error.filename}: cannot read the enrollment take "
                        f"({error.strerror})") from None
    cached = folder / CACHE
    try:
        with np.load(cached, allow_pickle=False) as data:
            if str(data["key"]) == key:
                sizes = data["sizes"]
                parts = np.split(data["vectors"], np.cumsum(sizes)[:-1])
                names = [str(n).split("\n", 1) for n in data["names"]]
                if len(parts) == len(names) and data["mean"].shape == (DIM,):
                    return TemplateSet(tuple(Template(c, p, v) for (c, p), v
                                             in zip(names, parts, strict=True)), data["mean"])
    except (OSError, KeyError, ValueError):
        pass  # no cache yet, or a damaged one: build afresh
    templates = build(takes)
    tmp = folder / f".{CACHE}.tmp"
    try:
        with open(tmp, "wb") as out:
            np.savez(out, key=np.array(key), mean=templates.mean,
                     vectors=np.concatenate([t.vectors for t in templates.templates]),
                     sizes=np.array([len(t.vectors) for t in templates.templates]),
                     names=np.array([f"{t.command}\n{t.phrase}" for t in templates.templates]))
        os.replace(tmp, cached)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only profile still listens, only slower to start
    return templates
