"""Piper text-to-speech per sentence, with disk + memory cache and background look-ahead."""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice_coach.core.cues import SENTENCE_GAP
from voice_coach.errors import UserError
from voice_coach.speech.cache import (
    DiskCache,
    MemoryCache,
    cache_key,
    default_cache_dir,
    quantize,
)
from voice_coach.speech.loudness import normalize_loudness
from voice_coach.speech.loudness import prepare as prepare_loudness
from voice_coach.speech.voice import load_voice_info

log = logging.getLogger(__name__)

CALM_LENGTH_SCALE = 1.25
"""How much longer than the voice's own pace the coach speaks at rate 1.0 (Piper's phoneme
length scale): the bundled voice talks at about 4.9 syllables a second, conversation speed;
a guide to relaxation talks at about 4. With the Session's gaps between sentences that is
about 125 words a minute (README, tests/test_voice_calm.py)."""


@dataclass
class SynthStats:
    """Where results came from; lets tests and the benchmark tell cold from warm."""

    piper_calls: int = 0
    """Texts actually run through the Piper model."""
    disk_hits: int = 0
    """Texts served from the disk cache."""
    memory_hits: int = 0
    """Texts served from the in-memory LRU."""
    shared_waits: int = 0
    """Calls that waited for the same text already being synthesized (e.g. by prefetch)."""


class Synthesizer:
    """Turns a sentence into float32 mono audio in -1..1 at ``sample_rate``.

    Thread-safe. The Piper model is loaded on first use. Results are cached on disk under
    ``cache_dir/<voice id>/`` (default: the XDG cache dir) and in a small LRU in memory.
    """

    def __init__(
        self,
        voice_path: Path | None = None,
        cache_dir: Path | None = None,
        memory_items: int = 64,
    ) -> None:
        self.voice = load_voice_info(voice_path)
        self.sample_rate = self.voice.sample_rate
        root = cache_dir if cache_dir is not None else default_cache_dir()
        self.cache_dir = Path(root) / self.voice.voice_id
        self.stats = SynthStats()
        self._disk = DiskCache(self.cache_dir, self.sample_rate)
        self._memory = MemoryCache(memory_items)
        self._piper: Any = None
        self._load_lock = threading.Lock()
        self._lock = threading.Lock()
        self._inflight: dict[str, Future[np.ndarray]] = {}
        self._pending: deque[tuple[str, float]] = deque()
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None
        self._closed = False

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        """Audio for ``text`` spoken at ``rate`` (1.0 = the voice's normal speed; 0.8 = slower).

        The returned array is read-only and may be shared with the cache.
        """
        if rate <= 0:
            raise ValueError(f"speaking rate must be positive, got {rate}")
        key = cache_key(self.voice.voice_id, text, rate)
        pcm = self._memory.get(key)
        if pcm is not None:
            self.stats.memory_hits += 1
            return pcm
        with self._lock:
            future = self._inflight.get(key)
            owner = future is None
            if owner:
                future = self._inflight[key] = Future()
        assert future is not None
        if not owner:
            self.stats.shared_waits += 1
            try:
                return future.result()
            except Exception:  # noqa: BLE001 - a failed prefetch is retried here, where it can raise
                log.debug("prefetch of %r failed; synthesizing again", text)
                return self._produce(key, text, rate)
        try:
            pcm = self._produce(key, text, rate)
        except BaseException as error:
            # An interrupt (Ctrl-C, SIGTERM) belongs to this thread, not to the waiters.
            future.set_exception(error if isinstance(error, Exception)
                                 else RuntimeError(f"synthesis interrupted ({error!r})"))
            raise
        else:
            future.set_result(pcm)
            return pcm
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    def prefetch(self, texts: Sequence[str], rate: float = 1.0) -> None:
        """Queue texts for synthesis on one background thread; returns at once.

        The newest request goes to the front of the queue: it is what plays next.
        """
        if rate <= 0 or self._closed:
            return
        wanted = [
            t for t in dict.fromkeys(texts)
            if cache_key(self.voice.voice_id, t, rate) not in self._memory
        ]
        if self._worker is None:
            prepare_loudness()
        with self._lock:
            for item in [(t, rate) for t in wanted]:
                if item in self._pending:
                    self._pending.remove(item)
            self._pending.extendleft(reversed([(t, rate) for t in wanted]))
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="tts-prefetch", daemon=True
                )
                self._worker.start()
            self._wake.notify()

    def close(self) -> None:
        """Stop the look-ahead thread (after the sentence it is working on)."""
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._wake.notify()
            worker = self._worker
        if worker is not None:
            worker.join(timeout=10)

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self) -> None:
        """Load the Piper model now instead of on first use."""
        self._voice_model()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                text, rate = self._pending.popleft()
            try:
                self.synthesize(text, rate)
            except UserError as error:
                # The same error reaches the user from the next synthesize() on the app side.
                log.debug("look-ahead synthesis failed: %s", error)
            except Exception:  # noqa: BLE001 - look-ahead must not die; synthesize() reports
                log.warning("look-ahead synthesis failed for %r", text, exc_info=True)

    def _produce(self, key: str, text: str, rate: float) -> np.ndarray:
        pcm = self._disk.get(key)
        if pcm is not None:
            self.stats.disk_hits += 1
        else:
            pcm = self._run_piper(text, rate)
            self.stats.piper_calls += 1
            return_freed_memory()
            self._disk.put(key, pcm)
        pcm.setflags(write=False)
        self._memory.put(key, pcm)
        return pcm

    def _run_piper(self, text: str, rate: float) -> np.ndarray:
        from piper import SynthesisConfig

        voice = self._voice_model()
        config = SynthesisConfig(length_scale=voice.config.length_scale * CALM_LENGTH_SCALE / rate)
        # Piper splits a reply such as "Paused. Say resume when you are ready." itself: its
        # sentences get the pause the Session leaves between a routine's sentences.
        gap = np.zeros(int(SENTENCE_GAP / rate * self.sample_rate), dtype=np.float32)
        parts: list[np.ndarray] = []
        for chunk in voice.synthesize(text, syn_config=config):
            if parts:
                parts.append(gap)
            pcm = np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)
            parts.append(normalize_loudness(pcm, self.sample_rate))
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return quantize(np.concatenate(parts))

    def _voice_model(self) -> Any:
        with self._load_lock:
            if self._piper is None:
                try:
                    self._piper = _load_piper(self.voice.model_path, self.voice.config_path)
                except Exception as error:  # noqa: BLE001 - onnxruntime raises many types
                    first_line = str(error).strip().splitlines()[0] if str(error) else ""
                    raise UserError(
                        f"{self.voice.model_path}: cannot load Piper voice ({first_line})"
                    ) from None
            return self._piper


@functools.cache
def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


def return_freed_memory() -> None:
    """Hand the heap's free pages back to the system. Piper's activations for a long
    sentence take hundreds of MB, freed at once but kept by glibc's malloc, so the coach's
    memory would rise to its longest sentence's peak and sit there (bench/LIVE.md)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _load_piper(model_path: Path, config_path: Path) -> Any:
    """PiperVoice.load, with an onnxruntime session that does not keep memory per sentence
    length: its arena and memory patterns grow in steps as new lengths come up, which over a
    night of sentences reads as a leak (bench/bench_soak.py)."""
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    # One core stays free for the sound card's callbacks and the listener: with every core
    # synthesizing, the output starved (underflows on a 2-core machine).
    options.intra_op_num_threads = max(1, (os.cpu_count() or 2) - 1)
    options.inter_op_num_threads = 1
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    session = onnxruntime.InferenceSession(str(model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    return PiperVoice(config=PiperConfig.from_dict(config), session=session)
