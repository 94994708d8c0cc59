"""WAV writer atomicity and the reader's errors; a Piper-through-Player render round trip."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_coach.errors import UserError
from voice_coach.speech import Player, Synthesizer, WavWriter, read_wav

TOL = 1.5 / 32767


def test_round_trip_keeps_every_sample(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    blocks = [rng.uniform(-1, 1, n).astype(np.float32) for n in (320, 1000, 7)]
    path = tmp_path / "out.wav"
    with WavWriter(path, 22050) as writer:
        for block in blocks:
            writer.write(block)
        assert not path.exists()  # only the temp file exists until close
    audio, rate = read_wav(path)
    assert rate == 22050 and audio.dtype == np.float32
    assert len(audio) == 1327 == writer.frames_written
    assert np.allclose(audio, np.concatenate(blocks), atol=TOL)
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_stereo_is_downmixed_on_read(tmp_path: Path) -> None:
    left = np.full(100, 0.5, dtype=np.float32)
    right = np.full(100, -0.25, dtype=np.float32)
    with WavWriter(tmp_path / "s.wav", 16000, channels=2) as writer:
        writer.write(np.stack([left, right], axis=1))
    audio, _ = read_wav(tmp_path / "s.wav")
    assert len(audio) == 100 and np.allclose(audio, 0.125, atol=TOL)


def test_exception_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    fresh, existing = tmp_path / "new.wav", tmp_path / "old.wav"
    existing.write_bytes(b"previous render")
    for path in (fresh, existing):
        with pytest.raises(RuntimeError), WavWriter(path, 16000) as writer:
            writer.write(np.zeros(1000, dtype=np.float32))
            raise RuntimeError("interrupted")
    assert not fresh.exists()
    assert existing.read_bytes() == b"previous render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.wav"]


def test_writer_into_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nowhere/out.wav"):
        WavWriter(tmp_path / "nowhere" / "out.wav", 16000)


def test_read_24_bit(tmp_path: Path) -> None:
    values = np.array([0, 1 << 22, -(1 << 22), (1 << 23) - 1, -(1 << 23)], dtype=np.int64)
    raw = b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in values)
    with wave.open(str(tmp_path / "x.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(3)
        wav.setframerate(8000)
        wav.writeframes(raw)
    audio, rate = read_wav(tmp_path / "x.wav")
    assert rate == 8000
    assert np.allclose(audio, values / float(1 << 23))


def test_text_file_is_a_user_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n")
    with pytest.raises(UserError, match="notes.wav: not a readable audio file") as info:
        read_wav(path)
    assert "\n" not in str(info.value)


def test_missing_file_is_a_user_error_and_float_wav_is_read(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="absent.wav: audio file not found"):
        read_wav(tmp_path / "absent.wav")
    body = np.array([0.0, 0.5, -0.25, 1.0], dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)  # format 3 = IEEE float
    data = (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(body)) + body)
    (tmp_path / "float.wav").write_bytes(data)
    audio, rate = read_wav(tmp_path / "float.wav")
    assert rate == 16000 and audio.tolist() == [0.0, 0.5, -0.25, 1.0]


def test_piper_speech_rendered_through_the_player(tmp_path: Path) -> None:
    synth = Synthesizer(cache_dir=tmp_path / "cache")
    speech = synth.synthesize("Exhale and let go.")
    player = Player(synth.sample_rate, 441)
    finished: list[int] = []
    player.on_done = finished.append
    player.play(1, speech)
    path = tmp_path / "render.wav"
    with WavWriter(path, synth.sample_rate) as writer:
        player.add_tap(lambda block, start: writer.write(block))
        while not finished:
            player.read_block()
    audio, rate = read_wav(path)
    assert rate == synth.sample_rate
    assert len(audio) == -(-len(speech) // 441) * 441
    assert np.allclose(audio[: len(speech)], speech, atol=TOL)
    synth.close()


def test_written_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    import os
    import stat

    mask = os.umask(0o022)
    try:
        with WavWriter(tmp_path / "out.wav", 16000) as wav:
            wav.write(np.zeros(160, dtype=np.float32))
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "out.wav").stat().st_mode) == 0o644
