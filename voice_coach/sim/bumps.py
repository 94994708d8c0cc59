"""Bedroom bumps: knocks, rustles, hisses and short hums at random times, no speech.

For false-command tests and the listening benchmark: a bump must never become a command.
Bursts of noise like these made PocketSphinx say "back", "faster" or "quieter" at
confidences up to 0.92. Seeded, so a scene is the same every time.
"""

from __future__ import annotations

import numpy as np

from voice_coach.audio import LISTEN_RATE

KINDS = ("hiss", "rustle", "thud", "knock", "hum")
"""hiss: white noise; rustle: pink; thud: brown (low rumble); knock: a click with a decay;
hum: a wobbling tone (a fridge, a phone buzzing)."""


def bumps(seconds: float, seed: int = 0, rate: int = LISTEN_RATE,
          level_dbfs: tuple[float, float] = (-35.0, -12.0),
          gap_s: tuple[float, float] = (0.3, 3.0)) -> np.ndarray:
    """``seconds`` of bumps (float32 at ``rate``), each 0.08-0.9 s long at an RMS drawn
    from ``level_dbfs``, with ``gap_s`` of silence between them."""
    rng = np.random.default_rng(seed)
    out = np.zeros(round(seconds * rate), np.float32)
    t = 1.0
    while t < seconds - 1.0:
        n = round(rng.uniform(0.08, 0.9) * rate)
        burst = _burst(str(rng.choice(KINDS)), n, rate, rng)
        burst *= np.sin(np.pi * np.arange(n) / n) ** rng.uniform(0.3, 2.0)
        burst /= np.sqrt(np.mean(burst**2)) + 1e-12
        start = round(t * rate)
        seg = out[start:start + n]
        seg += (burst[: len(seg)] * 10 ** (rng.uniform(*level_dbfs) / 20)).astype(np.float32)
        t += n / rate + rng.uniform(*gap_s)
    return out


def _burst(kind: str, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "hiss":
        return rng.normal(0.0, 1.0, n)
    if kind == "rustle":
        spectrum = np.fft.rfft(rng.normal(0.0, 1.0, n))
        return np.fft.irfft(spectrum / np.sqrt(np.arange(1, len(spectrum) + 1)), n)
    if kind == "thud":
        walk = np.cumsum(rng.normal(0.0, 1.0, n))
        return walk - np.convolve(walk, np.ones(400) / 400, "same")
    if kind == "knock":
        click = np.zeros(n)
        click[:40] = rng.normal(0.0, 1.0, min(40, n))
        return np.convolve(click, np.exp(-np.arange(2000) / 300), "full")[:n]
    t = np.arange(n) / rate
    return np.sin(2 * np.pi * rng.uniform(80, 400) * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
