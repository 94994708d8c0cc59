"""The systems the listening benchmark compares, fed exactly as the live app feeds them.

Per 20 ms: the Player's block goes to ``add_reference`` (the tap, with the block's start time
and the player rate), then the microphone block covering the same stream time goes to
``process``. Only the CPU time inside these calls is counted (time.process_time, one thread).

- "listener": voice_coach.listen.listener.Listener with PocketSphinx and the English table.
- "raw-kws": the baseline, D's engine and parser straight on the room mic (no echo
  cancellation, no echo rejection, reference ignored).
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

BLOCK_S = 0.02
"""Audio block, s (the Player's and the mic's)."""
TAIL_S = 2.0
"""Silence appended to every scene so a last command still gets decided."""

SYSTEMS = ("listener", "listener-noaec", "listener-nogate", "raw-kws", "oracle-kws")
"""The real listener, two ablations (no echo canceller; no echo gate), the baseline, and the
baseline on mic minus the true echo (a perfect canceller: what the recognizer alone can do
with the user's voice in this room's reverb and fan noise)."""


@dataclass(frozen=True)
class Detection:
    command: str
    time: float
    """Mic stream seconds at which the system decided."""
    text: str
    confidence: float


@dataclass
class RunResult:
    system: str
    scene: str
    heard: list[Detection] = field(default_factory=list)
    cpu_process_s: float = 0.0
    """CPU seconds inside process()."""
    cpu_reference_s: float = 0.0
    """CPU seconds inside add_reference()."""
    audio_s: float = 0.0
    wall_s: float = 0.0
    max_rss_mb: float = 0.0
    """Peak RSS of the worker process so far (scene arrays included), MB."""
    notes: list[tuple[float, str]] = field(default_factory=list)
    """(time, text) of hypotheses and rejections (the listener's debug log), for analysis."""


class System(Protocol):
    def add_reference(self, block: np.ndarray, start_time: float, rate: int) -> None: ...
    def process(self, mic_block: np.ndarray, start_time: float) -> list[Any]: ...


class RawKeywordSpotter:
    """Baseline: the recognizer and strict parser on the raw mic; the reference is ignored."""

    notes: list[tuple[float, str]]
    """(time, what) of every hypothesis and why it was rejected, for failure analysis."""

    def __init__(self, language: str = "en") -> None:
        from voice_coach.listen.engines.sphinx_engine import SphinxRecognizer
        from voice_coach.listen.parser import CommandParser
        from voice_coach.listen.phrases import load_language

        table = load_language(language)
        self._engine = SphinxRecognizer(table)
        self._parser = CommandParser(table, "session")
        self.notes = []

    def add_reference(self, block: np.ndarray, start_time: float, rate: int) -> None:
        return None

    def process(self, mic_block: np.ndarray, start_time: float) -> list[Detection]:
        out = []
        for hyp in self._engine.accept(mic_block):
            parsed = self._parser.parse(hyp)
            self.notes.append((hyp.decided, f"{hyp.text!r} {self._parser.last_rejection}"))
            if parsed is not None:
                out.append(Detection(parsed.command, hyp.decided, parsed.text,
                                     parsed.confidence))
        return out


def make_listener(language: str = "en", **options: bool) -> System:
    """The real Listener as the app builds it (build_listener), with PocketSphinx; with
    ``options`` (aec=False, echo_check=False) the same parts with one technique left out."""
    from voice_coach.config import Config
    from voice_coach.listen.listener import Listener, build_listener

    listener = build_listener(Config(engine="pocketsphinx", language=language))
    if options:
        listener = Listener(listener.engine, listener.table, mic_rate=16000, **options)
    listener.set_mode("session")
    return listener


def make_system(name: str) -> System:
    if name == "listener":
        return make_listener()
    if name == "listener-noaec":
        return make_listener(aec=False)
    if name == "listener-nogate":
        return make_listener(echo_check=False)
    if name in ("raw-kws", "oracle-kws"):
        return RawKeywordSpotter()
    raise ValueError(f"unknown system {name!r}")


class _Notes(logging.Handler):
    """Collects the listener's log lines (hypotheses, rejections) with the stream time."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.now = 0.0
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((self.now, record.getMessage()))


def run(system_name: str, scene_name: str, mic: np.ndarray, ref: np.ndarray,
        ref_rate: int) -> RunResult:
    """Feed a whole scene to a fresh system, block by block, as the live loop does."""
    notes = _Notes()
    logger = logging.getLogger("voice_coach.listen")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the start-up engine warning would repeat per scene
    logger.addHandler(notes)
    try:
        return _run(system_name, scene_name, mic, ref, ref_rate, notes)
    finally:
        logger.removeHandler(notes)


def _run(system_name: str, scene_name: str, mic: np.ndarray, ref: np.ndarray,
         ref_rate: int, notes: _Notes) -> RunResult:
    system = make_system(system_name)
    mic_n, ref_n = round(16000 * BLOCK_S), round(ref_rate * BLOCK_S)
    blocks = int(np.ceil(len(mic) / mic_n)) + int(TAIL_S / BLOCK_S)
    result = RunResult(system_name, scene_name, audio_s=blocks * BLOCK_S)
    wall = time.perf_counter()
    zeros_mic = np.zeros(mic_n, np.float32)
    zeros_ref = np.zeros(ref_n, np.float32)
    for k in range(blocks):
        t = k * BLOCK_S
        r = np.asarray(ref[k * ref_n:(k + 1) * ref_n], np.float32)
        m = np.asarray(mic[k * mic_n:(k + 1) * mic_n], np.float32)
        if len(r) < ref_n:
            r = np.concatenate([r, zeros_ref[: ref_n - len(r)]])
        if len(m) < mic_n:
            m = np.concatenate([m, zeros_mic[: mic_n - len(m)]])
        notes.now = t + BLOCK_S
        c0 = time.process_time()
        system.add_reference(r, t, ref_rate)
        c1 = time.process_time()
        heard = system.process(m, t)
        c2 = time.process_time()
        result.cpu_reference_s += c1 - c0
        result.cpu_process_s += c2 - c1
        for h in heard:
            result.heard.append(Detection(h.command, float(h.time), h.text,
                                          float(h.confidence)))
    flush = getattr(system, "flush", None)
    if flush is not None:
        for h in flush():
            result.heard.append(Detection(h.command, float(h.time), h.text,
                                          float(h.confidence)))
    result.notes = notes.lines + list(getattr(system, "notes", []))
    result.wall_s = time.perf_counter() - wall
    result.max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result
