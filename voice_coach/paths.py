"""Where voice-coach keeps its files, following the XDG base-directory specification.

Every function reads the environment when called (not at import), so tests and services can
point ``XDG_CONFIG_HOME`` and friends somewhere else.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

APP = "voice-coach"

log = logging.getLogger(__name__)
_cache_refused: list[Path] = []
"""Cache folders found unusable in this process (warned about once, all together)."""


def _xdg(variable: str, fallback: str) -> Path:
    # The spec says a relative or empty value is invalid and must be ignored.
    value = os.environ.get(variable, "")
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / fallback
    return base / APP


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/voice-coach`` (default ``~/.config/voice-coach``)."""
    return _xdg("XDG_CONFIG_HOME", ".config")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/voice-coach`` (default ``~/.cache/voice-coach``): safe to delete."""
    return _xdg("XDG_CACHE_HOME", ".cache")


def usable_cache(folder: Path) -> Path | None:
    """``folder`` (created if needed) when cache files can be written there, else None.

    A cache only saves time, so an unusable one (under a file, read-only, full) is no error:
    one warning for the whole process, then everything runs without a cache.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        if not _cache_refused:
            log.warning("cache folder %s cannot be used (%s); running without a cache",
                        folder, error.strerror or error)
        _cache_refused.append(folder)
        return None
    return folder


def data_dir() -> Path:
    """``$XDG_DATA_HOME/voice-coach`` (default ``~/.local/share/voice-coach``)."""
    return _xdg("XDG_DATA_HOME", ".local/share")


def state_dir() -> Path:
    """``$XDG_STATE_HOME/voice-coach`` (default ``~/.local/state/voice-coach``): progress."""
    return _xdg("XDG_STATE_HOME", ".local/state")


def default_config_path() -> Path:
    """The config file read when no ``--config`` is given."""
    return config_dir() / "config.toml"


def default_models_dir() -> Path:
    """Where ``voice-coach models fetch`` installs models."""
    return data_dir() / "models"


def default_routines_dir() -> Path:
    """Where the user's own routine files live (the bundled ones ship inside the package)."""
    return data_dir() / "routines"


def usual_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give; ``mkstemp`` files are 0600."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    The temporary file lives in the same directory so ``os.replace`` is a rename on one
    filesystem; it is fsynced first so a power cut cannot leave an empty file behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, usual_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
