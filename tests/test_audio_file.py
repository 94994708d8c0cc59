"""Reading the user's audio files: real files of every common width and format written by
sox, exact sample counts, warnings for telephone-quality recordings, and empty files."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voice_coach.audio_file import read_audio
from voice_coach.cli import main
from voice_coach.errors import UserError

README = Path(__file__).resolve().parent.parent / "README.md"
FRAMES = 12345
"""An odd length, so a reader that drops or pads a block is caught."""


def sox(*args: str) -> None:
    assert shutil.which("sox"), "sox is needed for these tests (apt-get install sox)"
    subprocess.run(["sox", *args], check=True, capture_output=True)


def tone(path: Path, *options: str, rate: int = 16000, channels: int = 1) -> Path:
    """FRAMES samples of a half-scale 440 Hz tone (the same in every channel)."""
    # The rate goes on the null input too, so that "12345s" counts output samples; no
    # dither (-D), so that each width is the exact tone rounded.
    sox("-D", "-r", str(rate), "-n", "-r", str(rate), "-c", str(channels), *options, str(path),
        "synth", f"{FRAMES}s", "sine", "440", "vol", "0.5")
    return path


@pytest.fixture(scope="module")
def exact(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The tone as 64-bit float: what every other width must decode to."""
    path = tone(tmp_path_factory.mktemp("exact") / "f64.wav", "-e", "floating-point", "-b", "64")
    audio = read_audio(path)
    assert audio.encoding == "DOUBLE"
    return audio.samples


@pytest.mark.parametrize(("name", "options", "channels", "encoding", "tolerance"), [
    ("s16.wav", ("-b", "16"), 1, "PCM_16", 1 / 2**15),
    ("s24-stereo.wav", ("-b", "24"), 2, "PCM_24", 1 / 2**23),
    ("s32.wav", ("-e", "signed-integer", "-b", "32"), 1, "PCM_32", 1e-7),
    ("f32.wav", ("-e", "floating-point", "-b", "32"), 1, "FLOAT", 1e-7),
    ("s16.flac", ("-b", "16"), 1, "PCM_16", 1 / 2**15),
    ("s24.flac", ("-b", "24"), 2, "PCM_24", 1 / 2**23),
])
def test_every_common_width_and_format_reads_exactly(
        tmp_path: Path, exact: np.ndarray, name: str, options: tuple[str, ...], channels: int,
        encoding: str, tolerance: float) -> None:
    path = tone(tmp_path / name, *options, channels=channels)
    audio = read_audio(path)
    assert (audio.rate, audio.encoding, audio.samples.dtype) == (16000, encoding, np.float32)
    assert len(audio.samples) == FRAMES
    assert np.max(np.abs(audio.samples - exact)) <= tolerance
    assert audio.quality_warnings() == []


def test_wave_format_extensible_is_read(tmp_path: Path, exact: np.ndarray) -> None:
    """sox writes 24-bit stereo WAV as WAVE_FORMAT_EXTENSIBLE (65534), which the
    standard library's reader refuses as "unknown format: 65534"."""
    path = tone(tmp_path / "ext.wav", "-b", "24", channels=2)
    assert int.from_bytes(path.read_bytes()[20:22], "little") == 65534
    audio = read_audio(path)
    assert len(audio.samples) == FRAMES
    assert np.allclose(audio.samples, exact, atol=1 / 2**23)


def test_stereo_channels_are_averaged(tmp_path: Path) -> None:
    left, right = tone(tmp_path / "l.wav", "-b", "16"), tmp_path / "silence.wav"
    sox("-r", "16000", "-n", "-r", "16000", "-c", "1", "-b", "16", str(right),
        "trim", "0", f"{FRAMES}s")
    both = tmp_path / "both.wav"
    sox("-M", str(left), str(right), str(both))
    mono, mixed = read_audio(left).samples, read_audio(both).samples
    assert len(mixed) == FRAMES
    assert np.allclose(mixed, mono / 2, atol=1 / 2**15)


def test_telephone_quality_is_warned_about(tmp_path: Path) -> None:
    # What `arecord FILE.wav` records when given no format: 8 kHz, 8-bit unsigned.
    path = tone(tmp_path / "arecord-default.wav", "-e", "unsigned-integer", "-b", "8",
                rate=8000)
    audio = read_audio(path)
    assert (audio.rate, audio.encoding, len(audio.samples)) == (8000, "PCM_U8", FRAMES)
    assert audio.quality_warnings() == [
        f"{path}: 8000 Hz 8-bit audio: commands are often misheard below 16 kHz 16-bit; "
        "record with: arecord -f S16_LE -r 16000 -c 1 FILE.wav"]
    narrow = read_audio(tone(tmp_path / "11k.wav", "-b", "16", rate=11025))
    assert narrow.quality_warnings() == [
        f"{narrow.path}: 11025 Hz audio: commands are often misheard below 16 kHz 16-bit; "
        "record with: arecord -f S16_LE -r 16000 -c 1 FILE.wav"]


def test_a_header_without_audio_is_an_error(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.wav"
    sox("-n", "-r", "16000", "-c", "1", "-b", "16", str(empty), "trim", "0", "0")
    assert empty.stat().st_size == 44  # a complete header, no samples
    with pytest.raises(UserError, match=r"empty\.wav: has a header but no audio$"):
        read_audio(empty)
    assert main(["detect", str(empty), "--engine", "pocketsphinx"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"voice-coach: {empty}: has a header but no audio\n")
    assert main(["detect", str(tone(tmp_path / "mic.wav", "-b", "16")), "--engine",
                 "pocketsphinx", "--reference", str(empty)]) == 2
    assert capsys.readouterr().err == f"voice-coach: {empty}: has a header but no audio\n"


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"gone\.flac: audio file not found") as caught:
        read_audio(tmp_path / "gone.flac")
    assert caught.value.exit_code == 2
    with pytest.raises(UserError, match=r": is a folder, not an audio file"):
        read_audio(tmp_path)
    text = tmp_path / "notes.wav"
    text.write_text("pause\n")
    with pytest.raises(UserError, match=r"notes\.wav: not a readable audio file "
                                        r"\(Format not recognised\)"):
        read_audio(text)


def test_detect_reads_24_bit_flac_and_warns_about_8_khz(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flac = tone(tmp_path / "mic.flac", "-b", "24")
    assert main(["detect", str(flac), "--engine", "pocketsphinx"]) == 0
    assert "voice-coach: warning" not in capsys.readouterr().err
    coarse = tone(tmp_path / "mic-8k.wav", "-e", "unsigned-integer", "-b", "8", rate=8000)
    assert main(["detect", str(coarse), "--engine", "pocketsphinx"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines()
                if line.startswith("voice-coach: warning")]
    assert warnings == [
        f"voice-coach: warning: {coarse}: 8000 Hz 8-bit audio: commands are often misheard "
        "below 16 kHz 16-bit; record with: arecord -f S16_LE -r 16000 -c 1 FILE.wav"]


def test_readme_records_at_16_khz_16_bit() -> None:
    """Every README command that records a file asks arecord for 16 kHz 16-bit mono."""
    recordings = [line for line in README.read_text(encoding="utf-8").splitlines()
                  if re.search(r"arecord(?![^`\n]*\s-l\b)[^`\n]*\.wav", line)]
    assert recordings, "the README shows no arecord recording"
    for line in recordings:
        command = re.search(r"arecord[^`\n;&]*", line)
        assert command, line
        words = command.group(0).split()
        for option in (["-f", "S16_LE"], ["-r", "16000"], ["-c", "1"]):
            assert any(words[i:i + 2] == option for i in range(len(words))), line
