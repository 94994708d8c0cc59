"""Disk and memory caches for synthesized sentences.

A disk entry is one file ``<sha256 of key>.pcm``: a 20-byte header (magic, sample count,
sample rate, CRC-32 of the samples) followed by 16-bit little-endian PCM. The header lets a
truncated or corrupt entry be detected and re-synthesized instead of played as noise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import tempfile
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_MAGIC = b"VCTTS1\0\0"
_HEADER = struct.Struct("<8sIII")
_PCM_SCALE = 32767.0

AUDIO_VERSION = "calm-lufs-1"
"""Part of every key: change it whenever the same text and rate would sound different (pace,
loudness), so audio made the old way is never played beside the new. The previous keys had
none (Piper's own pace, every sentence peak-normalised)."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/voice-coach/tts`` (``~/.cache/voice-coach/tts`` when unset)."""
    from voice_coach import paths

    return paths.cache_dir() / "tts"


def cache_key(voice_id: str, text: str, rate: float) -> str:
    """Hex key for one sentence; rate is rounded so 0.9 and 0.9000001 share an entry."""
    raw = f"{AUDIO_VERSION}\n{voice_id}\n{rate:.3f}\n{text}".encode()
    return hashlib.sha256(raw).hexdigest()


def quantize(pcm: np.ndarray) -> np.ndarray:
    """Round float audio to the 16-bit grid the disk cache stores, so that a fresh result and
    a cached one are sample-for-sample identical."""
    ints = np.clip(np.round(pcm * _PCM_SCALE), -_PCM_SCALE, _PCM_SCALE).astype(np.int16)
    return (ints.astype(np.float32) / np.float32(_PCM_SCALE)).astype(np.float32)


class DiskCache:
    """Sentence audio on disk. Failures to read or write are logged, never raised: the cache
    only ever saves time. A folder that cannot be used at all (paths.usable_cache) means no
    disk cache, after one warning."""

    def __init__(self, directory: Path, sample_rate: int) -> None:
        from voice_coach import paths

        self.directory = directory
        self.sample_rate = sample_rate
        self.enabled = paths.usable_cache(directory) is not None
        self._writable = self.enabled

    def path_for(self, key: str) -> Path:
        return self.directory / f"{key}.pcm"

    def get(self, key: str) -> np.ndarray | None:
        if not self.enabled:
            return None
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("cannot read cache entry %s: %s", path, error)
            return None
        pcm = self._decode(data)
        if pcm is None:
            log.warning("corrupt cache entry %s: re-synthesizing", path)
        return pcm

    def put(self, key: str, pcm: np.ndarray) -> None:
        if not self._writable:
            return
        ints = np.clip(np.round(pcm * _PCM_SCALE), -_PCM_SCALE, _PCM_SCALE).astype("<i2")
        body = ints.tobytes()
        header = _HEADER.pack(_MAGIC, len(ints), self.sample_rate, zlib.crc32(body))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(header + body)
                os.replace(tmp, self.path_for(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as error:
            # A read-only or full cache disk must not stop the coach; stop trying.
            log.warning("speech cache %s not writable (%s); continuing without it",
                        self.directory, error)
            self._writable = False

    def _decode(self, data: bytes) -> np.ndarray | None:
        if len(data) < _HEADER.size:
            return None
        magic, count, rate, crc = _HEADER.unpack_from(data)
        body = data[_HEADER.size:]
        if magic != _MAGIC or rate != self.sample_rate or len(body) != 2 * count:
            return None
        if zlib.crc32(body) != crc:
            return None
        ints = np.frombuffer(body, dtype="<i2")
        return (ints.astype(np.float32) / np.float32(_PCM_SCALE)).astype(np.float32)


class MemoryCache:
    """A small thread-safe LRU of recent sentences (the ones "repeat" and "back" ask for)."""

    def __init__(self, max_items: int = 64) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            pcm = self._items.get(key)
            if pcm is not None:
                self._items.move_to_end(key)
            return pcm

    def put(self, key: str, pcm: np.ndarray) -> None:
        with self._lock:
            self._items[key] = pcm
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._items
