"""WAV files: an atomic streaming writer (16-bit PCM); reading goes through libsndfile."""

from __future__ import annotations

import contextlib
import os
import tempfile
import wave
from pathlib import Path
from types import TracebackType

import numpy as np

from voice_coach.audio_file import read_audio
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
    """Any audio file (see :func:`voice_coach.audio_file.read_audio`) as mono float32 and
    its rate."""
    audio = read_audio(path)
    return audio.samples, audio.rate
