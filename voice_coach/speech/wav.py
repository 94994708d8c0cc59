"""WAV files: an atomic streaming writer (16-bit PCM) and a forgiving-but-strict reader."""

from __future__ import annotations

import contextlib
import os
import tempfile
import wave
from pathlib import Path
from types import TracebackType

import numpy as np

from voice_coach.errors import UserError
from voice_coach.paths import usual_file_mode


class WavWriter:
    """Streams float32 blocks in -1..1 to a 16-bit PCM WAV file.

    Audio goes to a temporary file in the target directory, renamed over ``path`` only by
    ``close()``; ``abort()`` (or an exception inside ``with``) removes it, so a
    half-written file never appears under the final name.
    """

    def __init__(self, path: Path | str, sample_rate: int, channels: int = 1) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.channels = channels
        self.frames_written = 0
        directory = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as error:
            raise UserError(f"{self.path}: cannot write WAV file ({error.strerror})") from None
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")
        # Kept open across write() calls; closed by close()/abort().
        self._wave: wave.Wave_write | None = wave.open(self._file, "wb")  # noqa: SIM115
        self._wave.setnchannels(channels)
        self._wave.setsampwidth(2)
        self._wave.setframerate(sample_rate)

    @property
    def duration(self) -> float:
        """Seconds of audio written so far."""
        return self.frames_written / self.sample_rate

    def write(self, block: np.ndarray) -> None:
        """Append samples: shape (n,) for mono or (n, channels)."""
        if self._wave is None:
            raise ValueError("WAV writer is closed")
        data = np.asarray(block, dtype=np.float32)
        if data.ndim == 1:
            data = data.reshape(-1, 1)
        if data.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {data.shape[1]}")
        ints = np.clip(np.round(data * 32767.0), -32767, 32767).astype("<i2")
        try:
            self._wave.writeframes(ints.tobytes())
        except OSError as error:
            self._discard()
            raise UserError(f"{self.path}: cannot write WAV file ({error.strerror})") from None
        self.frames_written += data.shape[0]

    def close(self) -> None:
        """Finish the header and move the file into place."""
        if self._wave is None:
            return
        try:
            self._wave.close()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            # mkstemp creates 0600; a rendered session should get the user's usual mode.
            os.chmod(self._tmp, usual_file_mode())
            os.replace(self._tmp, self.path)
        except OSError as error:
            self._discard()
            raise UserError(f"{self.path}: cannot write WAV file ({error.strerror})") from None
        self._wave = None

    def abort(self) -> None:
        """Throw the partial file away."""
        if self._wave is not None:
            self._discard()

    def _discard(self) -> None:
        # Close the wave object too, or its __del__ later complains about the closed file.
        wave_file, self._wave = self._wave, None
        with contextlib.suppress(Exception):
            if wave_file is not None:
                wave_file.close()
        with contextlib.suppress(Exception):
            self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_wav(path: Path | str) -> tuple[np.ndarray, int]:
    """Read an integer-PCM WAV as float32 mono in -1..1 (channels averaged), with its rate.

    Raises UserError naming the file when it is missing, not a WAV, or in a format the
    standard library cannot read (e.g. float or compressed WAV; convert with
    ``sox in.wav -b 16 out.wav``).
    """
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise UserError(f"{path}: audio file not found") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a WAV file") from None
    except OSError as error:
        raise UserError(f"{path}: cannot read audio file ({error.strerror})") from None
    except (wave.Error, EOFError) as error:
        raise UserError(f"{path}: not a supported WAV file ({error or 'truncated'}); "
                        "expected integer PCM, e.g. sox in.wav -b 16 out.wav") from None
    if channels < 1 or rate <= 0:
        raise UserError(f"{path}: not a supported WAV file (bad header)")
    samples = _decode_pcm(raw, width, path)
    frames = len(samples) // channels
    samples = samples[: frames * channels].reshape(frames, channels)
    return samples.mean(axis=1, dtype=np.float32).astype(np.float32), rate


def _decode_pcm(raw: bytes, width: int, path: Path) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if width == 3:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        return ints.astype(np.float32) / float(1 << 23)
    if width == 4:
        return (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2.0**31).astype(np.float32)
    raise UserError(f"{path}: not a supported WAV file ({8 * width}-bit samples)")
