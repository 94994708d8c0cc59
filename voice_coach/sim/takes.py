"""Synthetic enrollment takes: a voice saying a phrase as a person would on different tries.

Each take varies the way a person's tries vary (speaking rate, pitch, loudness: sox's
``tempo`` and ``pitch`` effects and a gain) and is heard through a simulated room's user path
(its own impulse-response draw and fan noise), with the room's quiet before and after it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.errors import UserError
from voice_coach.sim.room import Room, RoomParams, active_frames, db


@dataclass(frozen=True)
class Variation:
    """How far takes may stray from the voice as rendered (uniform draws)."""

    rate: float = 0.15
    """Speaking-rate change, +- fraction."""
    semitones: float = 2.0
    """Pitch change, +- semitones."""
    level_db: float = 6.0
    """Loudness change, +- dB."""


LEVEL_DBFS = -26.0
"""Active speech level of a take before its level change, dBFS."""
REDO = 3
"""Tries per take: enrollment asks again when it hears no voice in one."""
QUIET_S = (0.6, 0.5)
"""Room sound recorded before and after the phrase, s."""


def vary(pcm: np.ndarray, rate: float, semitones: float) -> np.ndarray:
    """``pcm`` (16 kHz float) at ``rate`` x the speed and ``semitones`` higher (sox)."""
    if shutil.which("sox") is None:
        raise UserError("sox is not installed (needed for synthetic takes): "
                        "sudo apt-get install sox")
    raw = ["-t", "raw", "-r", str(RATE), "-e", "floating-point", "-b", "32", "-c", "1"]
    done = subprocess.run(["sox", *raw, "-", *raw, "-", "pitch", f"{semitones * 100:.1f}",
                           "tempo", "-s", f"{rate:.4f}"],
                          input=np.asarray(pcm, np.float32).tobytes(), capture_output=True,
                          timeout=60)
    if done.returncode != 0:
        raise UserError(f"sox failed: {done.stderr.decode(errors='replace').strip()[-200:]}")
    return np.frombuffer(done.stdout, np.float32).copy()


def take(pcm: np.ndarray, room: RoomParams, rng: np.random.Generator,
         variation: Variation = Variation()) -> np.ndarray:
    """One take of the dry utterance ``pcm`` in ``room`` (its seed picks the response)."""
    v = variation
    x = vary(pcm, 1.0 + rng.uniform(-v.rate, v.rate), rng.uniform(-v.semitones, v.semitones))
    act = np.repeat(active_frames(x, RATE), round(0.02 * RATE))
    level = float(np.sqrt(np.mean(x[: len(act)][act] ** 2))) if act.any() else 1e-3
    gain = LEVEL_DBFS + rng.uniform(-v.level_db, v.level_db) - db(level)
    before, after = (round(s * RATE) for s in QUIET_S)
    heard = Room(**asdict(room))
    heard.schedule(before / RATE, x, gain)
    tail = round(room.reverb_rt60_s * RATE)
    return heard.process(np.zeros(before + len(x) + tail + after, np.float32), RATE)


def takes(phrases: Sequence[tuple[str, str]], voice: str, count: int, room: RoomParams,
          seed: int, cache: Path, variation: Variation = Variation(),
          ) -> list[tuple[str, str, np.ndarray]]:
    """(command, phrase, pcm) for ``count`` takes of each (phrase, command) in ``voice``;
    take k of every phrase is heard with room seed ``room.seed + 1000 * (k + 1)``."""
    from voice_coach.personal.templates import voiced_span
    from voice_coach.sim.speakers import UserVoices

    voices = UserVoices(cache)
    rng = np.random.default_rng(seed)
    out = []
    for phrase, command in phrases:
        dry = voices.say(phrase, voice)
        for k in range(count):
            where = replace(room, seed=room.seed + 1000 * (k + 1))
            for _ in range(REDO):  # enrollment asks again for a take without a voice
                pcm = take(dry, where, rng, variation)
                if voiced_span(pcm) is not None:
                    break
            out.append((command, phrase, pcm))
    return out


def write_profile(folder: Path, recorded: Sequence[tuple[str, str, np.ndarray]]) -> None:
    """Store takes as a voice profile (personal/profile.py), as enrollment would."""
    from voice_coach.personal import profile

    for command, phrase, pcm in recorded:
        profile.add_take(folder, command, phrase, np.clip(pcm, -1.0, 1.0))
