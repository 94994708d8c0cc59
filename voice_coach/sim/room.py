"""A simulated bedside room: what the speaker plays and the user says -> what the mic hears.

Echo path: speaker distortion -> delay (band-limited interpolation, sub-sample exact; also the
player-rate -> mic-rate conversion) -> reverb (synthetic decaying impulse response, FFT
overlap-add) -> gain. User utterances get reverb of their own; pink fan noise is added. Seeded
and streaming: block sizes change nothing beyond float rounding. Mic sample ``n`` is at mic
time ``n / rate_out``; the reference starts at the same instant, so ``delay_s`` is the whole
speaker-to-mic delay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from voice_coach.audio import LISTEN_RATE

_HALF_TAPS = 16
"""Half-width of the interpolation kernel in reference samples (sets the minimum delay)."""
_ECHO_DRR_DB = 4.0
"""Direct-to-reverberant energy ratio of the speaker-to-mic path (~0.3 m apart), in dB."""
_USER_DRR_DB = 6.0
"""Direct-to-reverberant energy ratio of the user-to-mic path (a little reverb), in dB."""
_KAISER = np.kaiser(2 * _HALF_TAPS + 1, 8.0)
"""Window of the interpolation kernel, sampled at integer offsets -16..16."""
_ACTIVE_DB = 35.0
"""A 20 ms frame counts as active speech when within this many dB of the loudest frame."""


@dataclass(frozen=True)
class RoomParams:
    """Acoustics of one simulated room (keyword arguments of ``Room``)."""

    rate_out: int = LISTEN_RATE
    """Mic sample rate in Hz."""
    delay_s: float = 0.060
    """Speaker-to-mic delay of the direct path in seconds (output + input latency included)."""
    echo_gain_db: float = -6.0
    """Gain of the speaker-to-mic path in dB (applied after distortion and reverb)."""
    reverb_rt60_s: float = 0.35
    """Reverberation time of the echo path in seconds (0 = no reverb)."""
    distortion: float = 0.1
    """Speaker non-linearity, 0 (none) .. 1 (hard soft-clipping)."""
    noise_db: float | None = -60.0
    """RMS of the fan noise at the mic in dBFS; None for silence."""
    seed: int = 0
    """Seed for impulse responses and noise."""


@dataclass(frozen=True)
class Utterance:
    """A user utterance for ``render_scene``."""

    time_s: float
    """Mic stream time at which ``pcm`` starts, in seconds."""
    pcm: np.ndarray
    """The utterance, float32 mono at the mic rate (16 kHz), as spoken near the mic."""
    user_to_echo_db: float | None = None
    """User speech RMS over echo RMS at the mic during the speech, in dB; None: use gain_db."""
    gain_db: float = 0.0
    """Absolute gain in dB, used only when user_to_echo_db is None."""


@dataclass(frozen=True)
class UtteranceTruth:
    """Where one rendered utterance is in the mic stream, and how loud it came out."""

    start_s: float
    """First active speech frame, mic stream seconds."""
    end_s: float
    """End of the last active speech frame, mic stream seconds."""
    gain_db: float
    """Gain applied to the utterance in dB (reuse with ``Room.schedule`` to rebuild it)."""
    user_to_echo_db: float | None
    """Achieved user-to-echo ratio in dB; None when there is no echo at all."""
    during_echo: bool
    """True when the coach's echo was present while the user spoke (double talk)."""


def db(x: float) -> float:
    """Amplitude ratio to dB (floored at -200 dB)."""
    return 20.0 * float(np.log10(max(x, 1e-10)))


def active_frames(x: np.ndarray, rate: int = LISTEN_RATE, frame_s: float = 0.02) -> np.ndarray:
    """Boolean per 20 ms frame: within ``_ACTIVE_DB`` of the loudest frame (simple P.56)."""
    n = int(rate * frame_s)
    frames = x[: len(x) // n * n].reshape(-1, n)
    energy = (frames.astype(np.float64) ** 2).mean(axis=1)
    if len(energy) == 0 or energy.max() <= 0:
        return np.zeros(len(energy), bool)
    return energy > energy.max() * 10 ** (-_ACTIVE_DB / 10)


def speech_span(pcm: np.ndarray, rate: int = LISTEN_RATE) -> tuple[float, float]:
    """(start of the first, end of the last) active 20 ms frame of an utterance, seconds from
    its first sample; the whole recording when no frame is active."""
    span = np.flatnonzero(active_frames(np.asarray(pcm, np.float32), rate))
    if not len(span):
        return 0.0, len(pcm) / rate
    return span[0] * 0.02, (span[-1] + 1) * 0.02


def synthetic_ir(rt60_s: float, drr_db: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Direct path (1.0 at t=0) plus an exponentially decaying, slightly darkened noise tail."""
    if rt60_s <= 0:
        return np.ones(1, np.float32)
    length = int(rt60_s * rate)
    n = np.arange(length)
    tail = rng.standard_normal(length) * np.exp(-6.9078 * n / (rt60_s * rate))
    tail = np.convolve(tail, [0.25, 0.5, 0.25], mode="same")  # walls absorb highs
    tail[: int(0.0025 * rate)] = 0.0  # first reflection arrives a few ms after the direct path
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail.astype(np.float32)


def fan_filter(rate: int, taps: int = 1024) -> np.ndarray:
    """Linear-phase FIR with unit power gain: pink (1/f) above 40 Hz, rolling off above 2 kHz."""
    f = np.fft.rfftfreq(taps, 1.0 / rate)
    mag = 1.0 / np.sqrt(np.maximum(f, 40.0)) / (1.0 + (f / 2000.0) ** 2)
    h = np.roll(np.fft.irfft(mag, taps), taps // 2) * np.hanning(taps)
    return (h / np.sqrt(np.sum(h**2))).astype(np.float32)


class Convolver:
    """Streaming FFT overlap-add convolution with a fixed impulse response."""

    def __init__(self, h: np.ndarray) -> None:
        self.h = np.asarray(h, np.float64)
        self._tail = np.zeros(len(self.h) - 1)

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter one block; returns as many samples as given."""
        if len(x) == 0:
            return np.zeros(0, np.float32)
        m = len(x) + len(self.h) - 1
        nfft = 1 << (m - 1).bit_length()
        y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(self.h, nfft), nfft)[:m]
        y[: len(self._tail)] += self._tail
        self._tail = y[len(x) :].copy()
        if len(self._tail) < len(self.h) - 1:
            self._tail = np.pad(self._tail, (0, len(self.h) - 1 - len(self._tail)))
        return y[: len(x)].astype(np.float32)


class Room:
    """Streaming room: ``process(ref_block, ref_rate) -> mic_block`` on the mic clock.

    Each call returns exactly the mic samples covering the same stream time as all reference
    received so far (``floor(total_ref * rate_out / ref_rate)`` samples in total).
    """

    def __init__(self, **params: Any) -> None:  # RoomParams' fields, each of its own type
        self.params = RoomParams(**params)
        """The room's acoustics."""
        p = self.params
        self.rate_out = p.rate_out
        echo_ir = synthetic_ir(p.reverb_rt60_s, _ECHO_DRR_DB, p.rate_out, self._rng(1))
        self._echo = Convolver(echo_ir)
        self._user_ir = synthetic_ir(p.reverb_rt60_s, _USER_DRR_DB, p.rate_out, self._rng(2))
        self._noise_rng = self._rng(3)
        self._fan = Convolver(fan_filter(p.rate_out))
        self._ref_rate: int | None = None
        self._ref = np.zeros(0, np.float64)  # distorted reference, tail kept for interpolation
        self._ref_base = 0  # reference index of self._ref[0]
        self._ref_total, self._out = 0, 0  # reference samples in, mic samples out
        self._users: list[tuple[int, np.ndarray]] = []

    def _rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.params.seed, stream])

    @property
    def time(self) -> float:
        """Mic stream time produced so far, in seconds."""
        return self._out / self.rate_out

    def schedule(self, time_s: float, pcm16k: np.ndarray, gain_db: float = 0.0) -> None:
        """Have the user say ``pcm16k`` (mic rate) starting at mic time ``time_s``."""
        wet = np.convolve(np.asarray(pcm16k, np.float64), self._user_ir) * 10 ** (gain_db / 20)
        self._users.append((round(time_s * self.rate_out), wet.astype(np.float32)))

    def process(self, ref_block: np.ndarray, ref_rate: int) -> np.ndarray:
        """Play ``ref_block`` (float32 mono at ``ref_rate``); returns what the mic heard."""
        self._check_rate(ref_rate)
        x = np.asarray(ref_block, np.float64)
        d = self.params.distortion
        if d > 0:  # soft clipping of an overdriven small speaker, unity small-signal gain
            x = (1 - d) * x + d * np.tanh(3 * x) / 3
        self._ref = np.concatenate([self._ref, x])
        self._ref_total += len(x)
        end = self._ref_total * self.rate_out // ref_rate
        n = np.arange(self._out, end)
        dry = self._interpolate(n, ref_rate)
        mic = self._echo.process(dry) * np.float32(10 ** (self.params.echo_gain_db / 20))
        mic += self._noise(len(n))
        for start, wet in self._users:
            a, b = max(self._out, start), min(end, start + len(wet))
            if a < b:
                mic[a - self._out : b - self._out] += wet[a - start : b - start]
        self._users = [(s, w) for s, w in self._users if s + len(w) > end]
        self._out = end
        keep = int((self.params.delay_s + 0.01) * ref_rate) + 2 * _HALF_TAPS
        drop = max(0, len(self._ref) - keep)
        self._ref, self._ref_base = self._ref[drop:], self._ref_base + drop
        return mic.astype(np.float32)

    def _check_rate(self, ref_rate: int) -> None:
        if self._ref_rate is None:
            if self.params.delay_s * ref_rate < _HALF_TAPS + 1:
                raise ValueError(f"delay_s must be >= {(_HALF_TAPS + 1) / ref_rate:.4f} s")
            self._ref_rate = ref_rate
        elif ref_rate != self._ref_rate:
            raise ValueError(f"reference rate changed from {self._ref_rate} to {ref_rate}")

    def _interpolate(self, n: np.ndarray, ref_rate: int) -> np.ndarray:
        """Reference at mic times ``n / rate_out - delay_s``: Kaiser-windowed sinc, low-passed
        below both Nyquist rates so the rate change does not alias."""
        pos = n / self.rate_out * ref_rate - self.params.delay_s * ref_rate
        base = np.floor(pos).astype(np.int64)
        k = base[:, None] + np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)[None, :]
        t = pos[:, None] - k
        cutoff = 0.45 * min(ref_rate, self.rate_out) / ref_rate  # cycles per reference sample
        window = np.interp(t, np.arange(-_HALF_TAPS, _HALF_TAPS + 1), _KAISER)
        kernel = 2 * cutoff * np.sinc(2 * cutoff * t) * window
        idx = k - self._ref_base
        valid = (k >= 0) & (idx >= 0) & (idx < len(self._ref))
        samples = np.where(valid, self._ref[np.clip(idx, 0, max(len(self._ref) - 1, 0))], 0.0)
        return (samples * kernel).sum(axis=1).astype(np.float32)

    def _noise(self, n: int) -> np.ndarray:
        if self.params.noise_db is None:
            return np.zeros(n, np.float32)
        white = self._noise_rng.standard_normal(n)
        return self._fan.process(white) * np.float32(10 ** (self.params.noise_db / 20))


def render(
    reference: np.ndarray,
    ref_rate: int,
    params: RoomParams,
    block_s: float = 1.0,
    users: Sequence[tuple[float, np.ndarray, float]] = (),
) -> np.ndarray:
    """Run a whole reference through a fresh ``Room``; users are (time_s, pcm16k, gain_db)."""
    room, x = Room(**asdict(params)), reference
    for time_s, pcm, gain_db in users:
        room.schedule(time_s, pcm, gain_db)
    step = max(1, int(block_s * ref_rate))
    blocks = [room.process(reference[i : i + step], ref_rate) for i in range(0, len(x), step)]
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def render_scene(
    reference: np.ndarray, ref_rate: int, utterances: Sequence[Utterance], params: RoomParams
) -> tuple[np.ndarray, list[UtteranceTruth]]:
    """Mic signal for ``reference`` played in the room while the user says ``utterances``.

    A relative level is the RMS of the user's (reverberated) speech over the RMS of the echo at
    the mic, both over the user's active speech frames. In a gap of the coach's speech it is
    relative to the echo's active level over the whole scene instead.
    """
    rate = params.rate_out
    quiet = RoomParams(**{**asdict(params), "noise_db": None})
    echo = render(reference, ref_rate, quiet)
    echo_level = _active_rms(echo, echo, rate)
    users, truth = [], []
    for u in utterances:
        wet = Room(**asdict(quiet))
        wet.schedule(u.time_s, u.pcm, 0.0)
        alone = wet.process(np.zeros(len(echo)), rate)
        user_rms, echo_rms = _active_rms(alone, alone, rate), _active_rms(echo, alone, rate)
        during = echo_rms > 10 ** (-60 / 20) and echo_rms > echo_level * 10 ** (-20 / 20)
        ref_rms = echo_rms if during else echo_level
        target = u.user_to_echo_db if ref_rms > 0 else None
        gain = target - db(user_rms) + db(ref_rms) if target is not None else u.gain_db
        ratio = db(user_rms) + gain - db(ref_rms) if ref_rms > 0 else None
        start, end = (u.time_s + t for t in speech_span(u.pcm, rate))
        truth.append(UtteranceTruth(start, end, gain, ratio, during))
        users.append((u.time_s, u.pcm, gain))
    return render(reference, ref_rate, params, users=users)[: len(echo)], truth


def _active_rms(x: np.ndarray, level_of: np.ndarray, rate: int) -> float:
    """RMS of ``x`` over the active speech frames of ``level_of``."""
    act = np.repeat(active_frames(level_of, rate), int(0.02 * rate))
    return float(np.sqrt(np.mean(x[: len(act)][act] ** 2))) if act.any() else 0.0
