"""Coach audio for the listening benchmark: what the Player sends to the speaker.

Routines are rendered with the real Session, Coach and Player on a virtual clock (as
``voice-coach simulate --to`` does); extra coaching lines full of command words are spoken
by the same Synthesizer. Every stream is cached as .npy (player rate) so re-runs are fast.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

COACH_LINES = (
    "Stop if it hurts, and rest for a moment.",
    "Next, we will repeat this on the other side.",
    "Hold on to your knee and pull it gently towards you.",
    "Wait until the breath comes back to its own pace.",
    "Go back to the first position and let your arms rest.",
    "Continue breathing slowly, in through the nose.",
    "Pause here for a few seconds, then carry on with the movement.",
    "Say the word relax to yourself as you breathe out.",
    "We will slow down now and go a little slower with each breath.",
    "Keep going, you are doing well. One more time.",
    "Again, lift the hips, then lower them slowly.",
    "If you need help, just rest and start over when you are ready.",
    "Skip this one if your back feels sore today.",
    "Let's go on to the next stretch: roll onto your side.",
    "Repeat that three more times, gently and without hurry.",
    "Speak up in your mind: I am done with the day.",
    "That's enough for the shoulders. Now the neck.",
    "Softer now, quieter, let the whole body grow heavy.",
    "Resume the same slow rhythm you had before.",
    "Move a bit faster if that feels good, then slow down again.",
    "Previous tension may come back; notice it and let it go.",
    "Start again from the beginning of the breath, nice and slow.",
    "Where are we in the body now? At the hips.",
    "One moment of stillness, and then the next movement.",
)
"""Coaching sentences with command words inside them (the coach must never obey these)."""


@dataclass(frozen=True)
class CoachStream:
    """Player output for a whole scene, with where the coach is speaking."""

    pcm: np.ndarray
    """Float32 mono at ``rate``: exactly the blocks the Player handed out."""
    rate: int
    """Player sample rate, Hz."""
    name: str
    """What was rendered (for tables)."""

    @property
    def seconds(self) -> float:
        return len(self.pcm) / self.rate


def _cache_file(cache: Path, key: str) -> Path:
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return cache / "coach" / f"{digest}.npy"


def _cached(cache: Path, key: str, make: object) -> np.ndarray:
    path = _cache_file(cache, key)
    if path.exists():
        return np.load(path)
    pcm = np.asarray(make(), np.float32)  # type: ignore[operator]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npy")
    np.save(tmp, pcm)
    os.replace(tmp, path)
    return pcm


def synthesizer(cache: Path):  # noqa: ANN201 - Synthesizer, imported lazily
    from voice_coach.speech import Synthesizer

    return Synthesizer(cache_dir=cache / "piper")


def render_routine(routine: str, rate: float, cache: Path, max_seconds: float = 3600.0,
                   volume: float = 0.8) -> CoachStream:
    """The whole routine as played by the real Session/Coach/Player at ``rate``."""
    from voice_coach.app.prepare import block_size, make_session, prepare
    from voice_coach.app.render import render
    from voice_coach.config import Config
    from voice_coach.speech import Player

    synth = synthesizer(cache)
    key = f"routine|{routine}|{rate}|{volume}|{max_seconds}|{synth.voice.voice_id}"

    def make() -> np.ndarray:
        prepared = prepare(routine, Config())
        session = make_session(prepared, rate, volume)
        player = Player(synth.sample_rate, block_size(synth.sample_rate), volume=volume)
        blocks: list[np.ndarray] = []
        render(session, synth, player, sink=lambda b, _t: blocks.append(b.copy()),
               max_seconds=max_seconds)
        return np.concatenate(blocks)

    try:
        pcm = _cached(cache, key, make)
    finally:
        synth.close()
    return CoachStream(pcm, synth.sample_rate, f"{routine}@{rate:g}")


def render_lines(lines: tuple[str, ...], rate: float, cache: Path, gap_s: float = 1.2,
                 volume: float = 0.8, repeats: int = 1) -> CoachStream:
    """Coaching lines spoken one after another with ``gap_s`` of silence between them."""
    synth = synthesizer(cache)
    key = f"lines|{'|'.join(lines)}|{rate}|{gap_s}|{volume}|{repeats}|{synth.voice.voice_id}"

    def make() -> np.ndarray:
        gap = np.zeros(int(gap_s * synth.sample_rate), np.float32)
        parts = [gap]
        for _ in range(repeats):
            for line in lines:
                parts += [np.asarray(synth.synthesize(line, rate), np.float32) * volume, gap]
        return np.concatenate(parts)

    try:
        pcm = _cached(cache, key, make)
    finally:
        synth.close()
    return CoachStream(pcm, synth.sample_rate, f"coach lines@{rate:g}")


def concat(streams: list[CoachStream], gap_s: float = 2.0) -> CoachStream:
    """Streams one after another (same rate) with silence between them."""
    rate = streams[0].rate
    gap = np.zeros(int(gap_s * rate), np.float32)
    parts: list[np.ndarray] = []
    for s in streams:
        parts += [s.pcm, gap]
    return CoachStream(np.concatenate(parts), rate, " + ".join(s.name for s in streams))


def speech_mask(pcm: np.ndarray, rate: int, frame_s: float = 0.02,
                floor_db: float = -50.0) -> np.ndarray:
    """Per 20 ms frame: True where the coach's signal is above ``floor_db`` dBFS RMS."""
    n = int(rate * frame_s)
    frames = pcm[: len(pcm) // n * n].reshape(-1, n).astype(np.float64)
    rms = np.sqrt((frames**2).mean(axis=1))
    return rms > 10 ** (floor_db / 20)
