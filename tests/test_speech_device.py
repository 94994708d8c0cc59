"""Sound-card output: device lookup errors and the callback's re-blocking, without hardware."""

from __future__ import annotations

import numpy as np
import pytest

from voice_coach.errors import UserError
from voice_coach.speech.device import DeviceOutput, resolve_output_device
from voice_coach.speech.player import Player


def test_unknown_device_name_is_a_user_error_naming_it() -> None:
    # Whether or not this machine has speakers, the message names what was asked for.
    with pytest.raises(UserError, match="no-such-speaker-xyz") as info:
        resolve_output_device("no-such-speaker-xyz")
    assert "\n" not in str(info.value)


def test_unknown_device_index_is_a_user_error() -> None:
    with pytest.raises(UserError, match="9999"):
        DeviceOutput(Player(22050, 441), device=9999)


def callback_only(player: Player) -> DeviceOutput:
    """A DeviceOutput without a stream, to drive its callback the way PortAudio would."""
    out = DeviceOutput.__new__(DeviceOutput)
    out.player, out.underflows, out.callback_errors = player, 0, 0
    out._leftover = np.zeros(0, dtype=np.float32)
    out._resampler = None
    return out


def test_callback_re_blocks_to_any_frame_count() -> None:
    player = Player(16000, 320)
    speech = np.linspace(-0.9, 0.9, 5000, dtype=np.float32)
    player.play(1, speech)
    out = callback_only(player)
    chunks = []
    for frames in (100, 512, 320, 1000, 77, 4000):
        buffer = np.full((frames, 1), 9.0, dtype=np.float32)
        out._callback(buffer, frames, None, None)
        chunks.append(buffer[:, 0].copy())
    played = np.concatenate(chunks)
    assert np.array_equal(played[:5000], speech) and not played[5000:].any()


def test_callback_never_raises() -> None:
    player = Player(16000, 320)

    def broken(_uid: int) -> None:
        raise RuntimeError("consumer bug")

    player.on_done = broken
    player.play(1, np.ones(10, dtype=np.float32))
    out = callback_only(player)
    buffer = np.ones((320, 1), dtype=np.float32)
    out._callback(buffer, 320, None, None)
    assert not buffer.any() and out.callback_errors == 1


def test_missing_portaudio_is_a_user_error_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes.util
    import sys

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.delitem(sys.modules, "_sounddevice_data", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(UserError, match="sudo apt install libportaudio2"):
        DeviceOutput(Player(22050, 441))


def test_callback_resamples_when_the_device_needs_another_rate() -> None:
    import soxr

    player = Player(16000, 320)
    speech = np.sin(np.arange(4000) * 2 * np.pi * 300 / 16000).astype(np.float32) * 0.5
    player.play(1, speech)
    out = callback_only(player)
    out._resampler = soxr.ResampleStream(16000, 48000, 1, dtype="float32", quality="LQ")
    chunks = []
    for _ in range(30):
        buffer = np.zeros((480, 1), dtype=np.float32)
        out._callback(buffer, 480, None, None)
        chunks.append(buffer[:, 0].copy())
    played = np.concatenate(chunks)
    loud = np.flatnonzero(np.abs(played) > 0.05)
    assert abs((loud[-1] - loud[0]) - 3 * len(speech)) < 200  # 0.25 s of tone at 48 kHz
    assert np.abs(played).max() < 0.6
