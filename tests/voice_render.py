"""A real Piper render of a session, with where each sentence sits in it: what the pace and
loudness tests (and bench/bench_voice.py) measure the coach's voice on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from voice_coach.app.prepare import block_size, make_session, prepare
from voice_coach.app.render import render
from voice_coach.config import Config
from voice_coach.core.cues import Cue
from voice_coach.core.session import Session
from voice_coach.speech import Player, Synthesizer


@dataclass(frozen=True)
class Spoken:
    """One sentence as it was played: stream seconds and text."""

    start: float
    end: float
    text: str
    from_routine: bool
    """True for the routine's own cues, False for the coach's replies and closing."""


@dataclass(frozen=True)
class SpokenRender:
    audio: np.ndarray
    sample_rate: int
    spoken: tuple[Spoken, ...]

    def clip(self, item: Spoken) -> np.ndarray:
        rate = self.sample_rate
        return self.audio[round(item.start * rate):round(item.end * rate)]

    @property
    def words_per_minute(self) -> float:
        """Words said over the time from the first word to the end of the last sentence."""
        words = sum(len(item.text.split()) for item in self.spoken)
        return 60.0 * words / (self.spoken[-1].end - self.spoken[0].start)


def active_level_db(clip: np.ndarray, sample_rate: int) -> float:
    """Unweighted level of the 10 ms frames that carry speech (within 40 dB of the loudest,
    so the pauses inside a closing of three sentences do not count), in dBFS: a second
    opinion beside the K-weighted loudness the coach aims at."""
    frame = sample_rate // 100
    count = len(clip) // frame
    power = np.mean(np.asarray(clip[: count * frame], np.float64).reshape(count, frame) ** 2,
                    axis=1)
    return float(10 * np.log10(np.mean(power[power > power.max() * 1e-4])))


def render_session(session: Session, synth: Synthesizer) -> SpokenRender:
    """Render ``session`` to its end exactly as ``play --to`` does (volume included)."""
    player = Player(synth.sample_rate, block_size(synth.sample_rate), volume=session.volume)
    blocks: list[np.ndarray] = []
    spoken: list[Spoken] = []

    def on_log(entry) -> None:  # noqa: ANN001 - LogEntry
        if entry.kind == "say":
            text = str(entry.detail["text"])
            # A memory-cache hit: the very audio the player was just given.
            seconds = len(synth.synthesize(text, session.rate)) / synth.sample_rate
            spoken.append(Spoken(entry.time, entry.time + seconds, text,
                                 entry.detail.get("cue") is not None))

    render(session, synth, player, sink=lambda block, _t: blocks.append(block.copy()),
           on_log=on_log)
    return SpokenRender(np.concatenate(blocks), synth.sample_rate, tuple(spoken))


def routine_session(routine_id: str, rate: float | None = None) -> Session:
    """A bundled routine as ``play`` would start it (default config)."""
    prepared = prepare(routine_id, Config())
    return make_session(prepared, prepared.routine.rate if rate is None else rate, 0.8)


def instructions_session(routine_id: str, rate: float = 1.0) -> Session:
    """Only the spoken instructions of a routine, back to back (its authored silences,
    holds and breaths left out): the coach talking, at the pace it talks."""
    prepared = prepare(routine_id, Config())
    says: Sequence[Cue] = [cue for cue in prepared.cues if cue.kind == "say"]
    cues = [replace(cue, index=i, seconds=0.0) for i, cue in enumerate(says)]
    return make_session(replace(prepared, cues=tuple(cues), start_index=0), rate, 0.8)
