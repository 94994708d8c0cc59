"""PlaybackClock: PortAudio's device time -> the Player's stream time, once the output
stream's offset has settled."""

from __future__ import annotations

import time

import pytest

from voice_coach.speech import clock as clock_module
from voice_coach.speech.clock import STEADY_S, PlaybackClock


def test_the_clock_answers_once_the_offset_has_held(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: now[0])
    clock = PlaybackClock()
    assert clock.stream_time_at(5.0) is None  # no output stream yet
    # Starting: the server takes 0.1 s of audio at once, so the offset grows.
    clock.anchor(0.00, 1000.00)
    clock.anchor(0.10, 1000.01)
    now[0] += STEADY_S / 2
    assert clock.stream_time_at(1000.02) is None
    # Steady: 20 ms of stream per 20 ms of device time.
    for k in range(1, 60):
        now[0] += 0.02
        clock.anchor(0.10 + 0.02 * k, 1000.01 + 0.02 * k)
    assert clock.stream_time_at(1001.0) == pytest.approx(1.09)
    now[0] += 2.0  # the output stream stopped anchoring it
    assert clock.stream_time_at(1003.0) is None


def test_the_real_clock_is_monotonic_time() -> None:
    clock = PlaybackClock()
    clock.anchor(1.0, 50.0)
    time.sleep(0.01)
    assert clock.stream_time_at(51.0) is None  # not held for STEADY_S yet


def test_one_late_dac_time_does_not_move_the_clock_but_a_restart_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: now[0])
    clock = PlaybackClock()
    for k in range(60):
        now[0] += 0.02
        # Every fifth DAC time is 9 ms late, as through ALSA's pulse plugin.
        clock.anchor(0.02 * k, 500.0 + 0.02 * k + (0.009 if k % 5 == 4 else 0.0))
    assert clock.stream_time_at(501.0) == pytest.approx(1.0, abs=1e-4)
    # A cut: the stream starts again 0.3 s further on; older offsets no longer count.
    clock.anchor(1.5, 501.2, restart=True)
    assert clock.stream_time_at(502.0) is None  # settling again
    for k in range(1, 40):
        now[0] += 0.02
        clock.anchor(1.5 + 0.02 * k, 501.2 + 0.02 * k)
    assert clock.stream_time_at(502.0) == pytest.approx(2.3)


def test_audio_dropped_by_a_cut_moves_the_clock_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: now[0])
    clock = PlaybackClock()
    for k in range(60):
        now[0] += 0.02
        clock.anchor(0.02 * k, 500.0 + 0.02 * k)
    assert clock.stream_time_at(501.5) == pytest.approx(1.5)
    # 0.25 s handed to the card was never played: what plays next is that much further on.
    clock.dropped(0.25)
    assert clock.stream_time_at(501.5) == pytest.approx(1.75)
    for k in range(60, 120):  # and the new stream's own times agree, steady all along
        now[0] += 0.02
        clock.anchor(0.02 * k + 0.25, 500.0 + 0.02 * k)
        assert clock.stream_time_at(500.0 + 0.02 * k) == pytest.approx(0.02 * k + 0.25)


def test_after_a_cut_the_new_streams_own_times_count_from_its_first_callback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: now[0])
    clock = PlaybackClock()
    for k in range(60):
        now[0] += 0.02
        clock.anchor(0.02 * k, 500.0 + 0.02 * k)
    clock.dropped(0.25)
    # The new stream starts 12 ms later than the dropped audio says (a restart's latency):
    # its own times are right, and the echo reference must not wait seconds to follow them.
    now[0] += 0.02
    clock.anchor(1.45, 500.0 + 1.2 + 0.012)
    assert clock.stream_time_at(501.5) == pytest.approx(1.738)
    for k in range(1, 300):  # and it stays there: old offsets never pull it back
        now[0] += 0.02
        clock.anchor(1.45 + 0.02 * k, 501.212 + 0.02 * k)
        assert clock.stream_time_at(501.5) == pytest.approx(1.738)
