"""Reading the user's audio files (WAV of any width, FLAC, ...) through libsndfile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from voice_coach.errors import UserError

LISTENABLE_RATE = 16000
"""Below this rate the recognizers lose the consonants that tell commands apart, Hz."""
COARSE_ENCODINGS = {"PCM_U8": "8-bit", "PCM_S8": "8-bit", "ULAW": "8-bit mu-law",
                    "ALAW": "8-bit A-law"}
"""libsndfile subtypes with 8 bits a sample: quiet speech drowns in their noise."""
RECORD_HINT = "record with: arecord -f S16_LE -r 16000 -c 1 FILE.wav"


@dataclass(frozen=True)
class AudioFile:
    """A whole audio file, mixed down to mono."""

    path: Path
    samples: np.ndarray
    """float32 in -1..1, channels averaged."""
    rate: int
    """Samples a second, Hz."""
    encoding: str
    """libsndfile's subtype, e.g. "PCM_16", "PCM_24", "FLOAT"."""

    def quality_warnings(self) -> list[str]:
        """Why commands may be misheard in this file (empty when it is good enough)."""
        problems = []
        if self.rate < LISTENABLE_RATE:
            problems.append(f"{self.rate} Hz")
        if self.encoding in COARSE_ENCODINGS:
            problems.append(COARSE_ENCODINGS[self.encoding])
        if not problems:
            return []
        return [f"{self.path}: {' '.join(problems)} audio: commands are often misheard "
                f"below 16 kHz 16-bit; {RECORD_HINT}"]


def read_audio(path: Path | str) -> AudioFile:
    """Read any format libsndfile knows; UserError (exit 2) naming the file if it cannot."""
    path = Path(path)
    try:
        with open(path, "rb") as file, soundfile.SoundFile(file) as sound:
            data = sound.read(dtype="float32", always_2d=True)
            rate, encoding = sound.samplerate, sound.subtype
    except FileNotFoundError:
        raise UserError(f"{path}: audio file not found", exit_code=2) from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not an audio file", exit_code=2) from None
    except OSError as error:
        raise UserError(f"{path}: cannot read audio file ({error.strerror})",
                        exit_code=2) from None
    except soundfile.LibsndfileError as error:
        why = error.error_string.rstrip(".") or "unreadable"
        raise UserError(f"{path}: not a readable audio file ({why}); expected WAV, FLAC, "
                        "OGG or another format libsndfile reads", exit_code=2) from None
    if len(data) == 0:
        raise UserError(f"{path}: has a header but no audio", exit_code=2)
    samples = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
    return AudioFile(path, np.ascontiguousarray(samples, dtype=np.float32), int(rate), encoding)
