"""One line of the coach (real Piper speech at 16 kHz) and a direct echo path, shared by the
tests of the fits on the playback (test_echo_fit, test_acceptance_fit, test_coach_alone)."""

from __future__ import annotations

import numpy as np
from listen_scene import NoiselessPiper

from voice_coach.listen.resample import resample

RATE = 16000
DELAY = 960
"""Speaker-to-mic delay of the direct path, samples (60 ms)."""
LINE = ("Slowly bend the right knee and slide the foot toward you, then let it rest. Keep "
        "breathing slowly and let your shoulders sink into the bed while the knee stays soft.")


def coach_line() -> np.ndarray:
    synth = NoiselessPiper()
    return resample(synth.synthesize(LINE).astype(np.float32), synth.sample_rate)


def delayed(x: np.ndarray, samples: int, gain: float = 0.5) -> np.ndarray:
    return gain * np.concatenate([np.zeros(samples, np.float32), x])[:len(x)]


def said_over(echo: np.ndarray, word: np.ndarray, at: int, level: float = 1.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """(mic, the word as mixed in): ``word`` added to ``echo`` at sample ``at``, its RMS
    ``level`` times the echo's over the same span."""
    rms = float(np.sqrt(np.mean(echo[at:at + len(word)] ** 2)))
    said = word * (level * rms / float(np.sqrt(np.mean(word**2))))
    mic = echo.copy()
    mic[at:at + len(word)] += said
    return mic, said
