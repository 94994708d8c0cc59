"""The systems the listening benchmark compares, fed exactly as the live app feeds them.

Per 20 ms: the Player's block goes to ``add_reference`` (the tap, with the block's start time
and the player rate), then the microphone block covering the same stream time goes to
``process``. Only the CPU time inside these calls is counted (time.process_time, one thread).

- "listener": voice_coach.listen.listener.Listener with PocketSphinx and the English table
  (AEC3 for endpoints, the linear canceller for the recognizer).
- "raw-kws": the baseline, D's engine and parser straight on the room mic (no echo
  cancellation, no echo rejection, reference ignored).
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

BLOCK_S = 0.02
"""Audio block, s (the Player's and the mic's)."""
TAIL_S = 2.0
"""Silence appended to every scene so a last command still gets decided."""

SYSTEMS = ("listener+duck", "listener", "listener-noaec", "listener-nogate", "raw-kws",
           "oracle-kws")
"""The listener with ducking (closed loop; ``run`` does not duck), the listener alone, two
ablations (no echo canceller; no echo gate), the baseline, and the baseline on mic minus the
true echo (a perfect canceller: what the recognizer alone can do with the user's voice in
this room's reverb and fan noise)."""


@dataclass(frozen=True)
class Detection:
    command: str
    time: float
    """Mic stream seconds at which the system decided."""
    text: str
    confidence: float
    compute_s: float = 0.0
    """CPU time of the process() call that returned this decision, s: live, the decision
    comes that much after the block's stream time."""
    distress: bool = False
    """A pause for a distress word inside the utterance (the listener's distress rule)."""


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
    ducks: int = 0
    """How often the coach was ducked (listener+duck only)."""
    ducked_s: float = 0.0
    """Seconds the coach spent ducked."""


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
                                     parsed.confidence, distress=parsed.distress))
        return out


def make_listener(language: str = "en", engine: str = "pocketsphinx", model: Path | None = None,
                  **options: bool) -> System:
    """The real Listener as the app builds it (build_listener), with ``engine`` (Vosk needs
    ``model``, a model directory); with ``options`` (aec=False, echo_check=False) the same
    parts with one technique left out."""
    from voice_coach.config import Config
    from voice_coach.listen.build import build_listener
    from voice_coach.listen.listener import Listener

    listener = build_listener(Config(engine=engine, vosk_model=model, language=language))
    if options:
        listener = Listener(listener.engine, listener.table, mic_rate=16000, **options)
    listener.set_mode("session")
    return listener


def make_system(name: str, engine: str = "pocketsphinx", model: Path | None = None) -> System:
    """System ``name``; the listener's recognizer is ``engine`` (the baselines' PocketSphinx)."""
    if name in ("listener", "listener+duck"):
        return make_listener(engine=engine, model=model)
    if name == "listener-noaec":
        return make_listener(engine=engine, model=model, aec=False)
    if name == "listener-nogate":
        return make_listener(engine=engine, model=model, echo_check=False)
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
        ref_rate: int, echo: np.ndarray | None = None, room: str = "none",
        engine: str = "pocketsphinx", model: Path | None = None) -> RunResult:
    """Feed a whole scene to a fresh system, block by block, as the live loop does.

    "listener+duck" closes the loop like the app: the reference comes out of a real Player
    whose volume a Ducker lowers when the listener's ``on_voice`` fires, and the echo is
    rendered live by the room from what the Player played (mic = users + noise + echo).
    """
    notes = _Notes()
    logger = logging.getLogger("voice_coach.listen")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the start-up engine warning would repeat per scene
    logger.addHandler(notes)
    try:
        if system_name == "listener+duck":
            feed: _Feed = _DuckedFeed(mic, ref, ref_rate, echo, room)
        else:
            feed = _Feed(mic, ref, ref_rate)
        return _run(make_system(system_name, engine, model), system_name, scene_name, feed,
                    notes)
    finally:
        logger.removeHandler(notes)


class _Feed:
    """Pre-rendered reference and mic blocks, zero-padded past the end."""

    def __init__(self, mic: np.ndarray, ref: np.ndarray, ref_rate: int) -> None:
        self.mic, self.ref, self.ref_rate = mic, ref, ref_rate
        self.mic_n, self.ref_n = round(16000 * BLOCK_S), round(ref_rate * BLOCK_S)
        self.blocks = int(np.ceil(len(mic) / self.mic_n)) + int(TAIL_S / BLOCK_S)
        self.ducker: Any = None

    def attach(self, system: System) -> None:
        return None

    def reference(self, k: int) -> np.ndarray:
        return _block(self.ref, k, self.ref_n)

    def microphone(self, k: int) -> np.ndarray:
        return _block(self.mic, k, self.mic_n)


class _DuckedFeed(_Feed):
    """The reference from a real Player (volume under a Ducker); echo from a live room."""

    def __init__(self, mic: np.ndarray, ref: np.ndarray, ref_rate: int,
                 echo: np.ndarray | None, room: str) -> None:
        from dataclasses import asdict

        from scenes import ROOMS

        from voice_coach.sim.room import Room
        from voice_coach.speech import Player

        super().__init__(mic, ref, ref_rate)
        self.player = Player(ref_rate, self.ref_n, volume=1.0)  # ref has the session volume
        self.player.play(1, np.asarray(ref, np.float32))
        params = ROOMS.get(room)
        self.room = None if params is None else Room(**{**asdict(params), "noise_db": None})
        self.echo = echo
        self.voice = False
        """The listener's last on_voice state (True = someone talks over the coach)."""
        self._last = np.zeros(self.ref_n, np.float32)

    def attach(self, system: System) -> None:
        from ducking import Ducker, VoiceTap

        from voice_coach.listen.listener import Listener

        self.ducker = Ducker(self.player)

        def on_voice(active: bool) -> None:
            self.voice = active
            self.ducker.voice(active)

        assert isinstance(system, Listener)
        VoiceTap(system, on_voice)

    def reference(self, k: int) -> np.ndarray:
        self._last = self.player.read_block()
        return self._last

    def microphone(self, k: int) -> np.ndarray:
        m = _block(self.mic, k, self.mic_n)
        if self.room is None or self.echo is None:
            return m
        rest = m - _block(self.echo, k, self.mic_n)
        return rest + self.room.process(self._last, self.ref_rate)


def _block(x: np.ndarray, k: int, n: int) -> np.ndarray:
    b = np.asarray(x[k * n:(k + 1) * n], np.float32)
    return b if len(b) == n else np.concatenate([b, np.zeros(n - len(b), np.float32)])


def _run(system: System, system_name: str, scene_name: str, feed: _Feed,
         notes: _Notes) -> RunResult:
    feed.attach(system)
    result = RunResult(system_name, scene_name, audio_s=feed.blocks * BLOCK_S)
    wall = time.perf_counter()
    ducked_blocks = 0
    for k in range(feed.blocks):
        t = k * BLOCK_S
        r = feed.reference(k)
        m = feed.microphone(k)
        notes.now = t + BLOCK_S
        c0 = time.process_time()
        system.add_reference(r, t, feed.ref_rate)
        c1 = time.process_time()
        heard = system.process(m, t)
        c2 = time.process_time()
        result.cpu_reference_s += c1 - c0
        result.cpu_process_s += c2 - c1
        for h in heard:
            result.heard.append(Detection(h.command, float(h.time), h.text,
                                          float(h.confidence), c2 - c1,
                                          bool(getattr(h, "distress", False))))
        ducked_blocks += bool(getattr(feed, "voice", False))
    flush = getattr(system, "flush", None)
    if flush is not None:
        for h in flush():
            result.heard.append(Detection(h.command, float(h.time), h.text,
                                          float(h.confidence),
                                          distress=bool(getattr(h, "distress", False))))
    result.notes = notes.lines + list(getattr(system, "notes", []))
    if feed.ducker is not None:
        result.ducks = feed.ducker.ducks
        result.ducked_s = ducked_blocks * BLOCK_S
    result.wall_s = time.perf_counter() - wall
    result.max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result
