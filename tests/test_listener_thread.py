"""ListenerThread: a WAV source read faster than real time into a ring buffer; a slow
listener loses nothing while the ring holds, and overflows are counted when it cannot."""

from __future__ import annotations

import queue
import time
import wave
from pathlib import Path

import numpy as np

from voice_coach.listen.sources import WavSource
from voice_coach.listen.thread import ListenerThread


class SlowListener:
    """Stands in for a listener whose recognition is briefly slow; records what it got."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.blocks: list[tuple[np.ndarray, float]] = []
        self.flushed = False

    def process(self, block: np.ndarray, start: float) -> list[str]:
        time.sleep(self.delay_s)
        self.blocks.append((block, start))
        return ["heard"] if len(self.blocks) == 5 else []

    def flush(self) -> list[str]:
        self.flushed = True
        return []


def write_wav(path: Path, seconds: float, rate: int = 16000) -> np.ndarray:
    x = (np.sin(np.arange(int(seconds * rate)) * 0.05) * 8000).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(x.tobytes())
    return x


def test_slow_listener_loses_no_audio(tmp_path: Path) -> None:
    x = write_wav(tmp_path / "mic.wav", 2.0)
    listener, out = SlowListener(0.002), queue.Queue()
    thread = ListenerThread(WavSource(tmp_path / "mic.wav"), listener, out, capacity_s=5.0)
    thread.start().join(timeout=30)
    assert not thread.alive and thread.error is None
    assert thread.overflows == 0
    got = np.concatenate([b for b, _ in listener.blocks])
    assert np.array_equal(np.round(got * 32768).astype(np.int16), x)
    starts = [s for _, s in listener.blocks]
    assert starts == sorted(starts) and starts[1] - starts[0] == 0.02
    assert listener.flushed and out.get_nowait() == "heard"
    assert abs(thread.processed_s - 2.0) < 1e-9


def test_overflow_is_counted_when_the_ring_is_too_small(tmp_path: Path) -> None:
    write_wav(tmp_path / "mic.wav", 2.0)
    listener = SlowListener(0.01)
    thread = ListenerThread(WavSource(tmp_path / "mic.wav"), listener, queue.Queue(),
                            capacity_s=0.2)
    thread.start().join(timeout=30)
    assert thread.overflows > 0
    assert abs(thread.dropped_s + thread.processed_s - 2.0) < 1e-6
    # What was kept still carries its own stream time, so the listener hears a gap.
    starts = [s for _, s in listener.blocks]
    assert max(b - a for a, b in zip(starts, starts[1:], strict=False)) > 0.02


class ModalListener(SlowListener):
    """Records (mode, blocks seen so far) at every mode change; fails on a chosen block."""

    def __init__(self, fail_on: int = -1) -> None:
        super().__init__(0.0)
        self.modes: list[tuple[str, int]] = []
        self.fail_on = fail_on

    def set_mode(self, mode: str, choices: object = None) -> None:
        self.modes.append((mode, len(self.blocks)))

    def process(self, block: np.ndarray, start: float) -> list[str]:
        if len(self.blocks) == self.fail_on:
            self.fail_on = -1
            raise RuntimeError("recognizer hiccup")
        return super().process(block, start)


def test_a_replaced_source_is_read_and_modes_change_between_blocks(tmp_path: Path) -> None:
    # As the daemon's microphone: no source at first, one opened later, modes switched from
    # another thread while blocks flow, a block the listener fails on skipped, not fatal.
    write_wav(tmp_path / "a.wav", 0.5)
    write_wav(tmp_path / "b.wav", 0.3)
    listener, out = ModalListener(fail_on=3), queue.Queue()
    thread = ListenerThread(None, listener, out, rate=16000, keep_going=True).start()
    thread.set_mode("wake")
    deadline = time.monotonic() + 5
    while not listener.modes and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.modes == [("wake", 0)] and thread.alive  # applied with no audio at all
    first = WavSource(tmp_path / "a.wav")
    first.finite = False  # a microphone does not end; it is replaced
    thread.replace_source(first)
    while thread.processed_s < 0.5 - 0.02 - 1e-9 and time.monotonic() < deadline:
        time.sleep(0.01)
    thread.set_mode("session")
    thread.replace_source(WavSource(tmp_path / "b.wav"))  # finite: the thread ends with it
    thread.join(timeout=10)
    assert not thread.alive and thread.error is None
    assert thread.listener_errors == 1
    assert listener.modes == [("wake", 0), ("session", 24)]  # 25 blocks, one failed
    assert len(listener.blocks) == 24 + 15 and listener.flushed
    assert abs(thread.processed_s - 0.78) < 1e-9
