"""The listener's clock follows the microphone blocks' capture times (two devices' clocks
drift apart; a restarted output stream re-times the mic): a difference that holds is followed
at once by dropping or inserting samples, timing noise under a millisecond (what DeviceSource
leaves of the server's jitter) moves nothing, gaps are heard as silence, and only a real jump
restarts listening."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from voice_coach.listen.engines.engine import Engine, EngineName
from voice_coach.listen.listener import RATE, Listener
from voice_coach.listen.mic_clock import LOCK_S
from voice_coach.listen.phrases import load_language

BLOCK = 320


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineName.POCKETSPHINX)


def counted_time(listener: Listener) -> float:
    """Where the listener's own sample count puts the end of what it has received."""
    assert listener._clock.origin is not None
    return listener._clock.origin + (listener._done + len(listener._pending)) / RATE


def feed(listener: Listener, seconds: float, ratio: float, jitter_s: float = 0.0,
         start: float = 10.0, seed: int = 0) -> float:
    """Blocks of quiet noise whose capture times run ``ratio`` times as fast as their samples
    (plus random jitter); returns the capture time the last block ended at."""
    rng = np.random.default_rng(seed)
    t = start
    for _ in range(int(seconds * RATE / BLOCK)):
        noise = rng.normal(0, 1e-3, BLOCK).astype(np.float32)
        listener.process(noise, t + rng.uniform(-jitter_s, jitter_s))
        t += BLOCK / RATE * ratio
    return t


@pytest.mark.parametrize("ratio", [1.001, 0.999])
def test_a_drifting_mic_clock_is_followed_without_restarts(
        engine: Engine, ratio: float, caplog: pytest.LogCaptureFixture) -> None:
    listener = Listener(engine, load_language("en"))
    caplog.set_level(logging.INFO)
    end = feed(listener, 60.0, ratio, jitter_s=0.0003)
    # 0.1 % over 60 s is 60 ms: the count is kept within the lock's tolerance of it.
    assert abs(counted_time(listener) - end) < 2 * LOCK_S
    assert "listening afresh" not in caplog.text


def test_timing_noise_alone_moves_no_sample(engine: Engine) -> None:
    listener = Listener(engine, load_language("en"))
    feed(listener, 20.0, 1.0, jitter_s=0.0004)
    assert listener._done + len(listener._pending) == int(20.0 * RATE / BLOCK) * BLOCK


def test_a_step_is_followed_at_once_and_exactly(engine: Engine) -> None:
    listener = Listener(engine, load_language("en"))
    end = feed(listener, 2.0, 1.0)
    # A cut re-timed the mic 6.5 ms later: the echo must not sit 6.5 ms off for a while.
    end = feed(listener, 0.06, 1.0, start=end + 0.0065)
    assert counted_time(listener) == pytest.approx(end, abs=1 / RATE)
    assert listener.clock_followed_s == pytest.approx(0.0065, abs=1 / RATE)


def test_a_gap_is_heard_as_silence_and_a_step_back_drops_samples(engine: Engine) -> None:
    listener = Listener(engine, load_language("en"))
    end = feed(listener, 2.0, 1.0)
    end = feed(listener, 2.0, 1.0, start=end + 0.3)  # 0.3 s of mic audio lost
    assert counted_time(listener) == pytest.approx(end, abs=1e-6)
    end = feed(listener, 2.0, 1.0, start=end - 0.1)  # the same 0.1 s delivered twice
    assert counted_time(listener) == pytest.approx(end, abs=1e-6)


def test_a_jump_restarts_listening(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    listener = Listener(engine, load_language("en"))
    caplog.set_level(logging.INFO)
    end = feed(listener, 2.0, 1.0)
    feed(listener, 1.0, 1.0, start=end - 2.0)
    assert "listening afresh" in caplog.text
