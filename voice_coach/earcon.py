"""A short generated chime that says "I'm listening" without words (so it cannot be
mistaken for a command by the listener, and needs no synthesis)."""

from __future__ import annotations

import numpy as np

NOTES_HZ: dict[str, tuple[float, ...]] = {
    "wake": (660.0, 880.0),
    "lost": (880.0, 587.0),
}
"""Rising pair for "listening", falling pair for "device lost"."""
NOTE_S = 0.12
"""Length of each note in seconds."""
LEVEL = 0.3
"""Peak amplitude (the player's volume applies on top)."""


def earcon(sample_rate: int, name: str = "wake") -> np.ndarray:
    """The chime ``name`` as float32 mono at ``sample_rate``, about a quarter second long."""
    notes = NOTES_HZ.get(name, NOTES_HZ["wake"])
    n = int(NOTE_S * sample_rate)
    t = np.arange(n) / sample_rate
    # Soft bell shape: fast attack, exponential decay, so the notes don't click.
    envelope = np.minimum(1.0, t / 0.005) * np.exp(-t / (NOTE_S / 3))
    parts = []
    for frequency in notes:
        tone = np.sin(2 * np.pi * frequency * t) + 0.3 * np.sin(4 * np.pi * frequency * t)
        parts.append(tone * envelope)
    chime = np.concatenate(parts) / 1.3 * LEVEL
    return chime.astype(np.float32)
