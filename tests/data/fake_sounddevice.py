"""A stand-in for the sounddevice module, for tests of `voice-coach run` on a machine with no
sound card: one input and one output device, streams driven by a thread at real time.

The microphone plays the 16 kHz mono WAV named by $FAKE_SD_MIC on a real-time "world" clock
that starts when the first stream opens (then silence); what the speaker receives is dropped.
$FAKE_SD_MIC_GONE="START:END" (world seconds) unplugs the microphone meanwhile: a running
input stream stops calling back and turns inactive, and opening one fails, as PortAudio does;
$FAKE_SD_OUT_GONE does the same to the speaker.
Stream lifecycle events are printed to stderr ("fake-sd: ...") so a test can check them.
"""

import os
import sys
import threading
import time
import wave

import numpy as np

__version__ = "0.0-fake"


class PortAudioError(Exception):
    pass


class CallbackFlags:
    input_overflow = output_underflow = False

    def __bool__(self):
        return False


_DEVICES = [
    {"index": 0, "name": "Fake USB Mic", "hostapi": 0, "max_input_channels": 1,
     "max_output_channels": 0, "default_samplerate": 16000.0},
    {"index": 1, "name": "Fake Speaker", "hostapi": 0, "max_input_channels": 0,
     "max_output_channels": 2, "default_samplerate": 22050.0},
]


class _Default:
    device = [0, 1]
    samplerate = None


default = _Default()


def query_devices(device=None, kind=None):
    if device is None and kind is None:
        return list(_DEVICES)
    if device is None:
        return _DEVICES[0 if kind == "input" else 1]
    return _DEVICES[int(device)]


def query_hostapis(index=None):
    apis = [{"name": "ALSA", "devices": [0, 1]}]
    return apis if index is None else apis[index]


def check_output_settings(device=None, channels=None, dtype=None, samplerate=None, **kw):
    return None


def check_input_settings(device=None, channels=None, dtype=None, samplerate=None, **kw):
    return None


_WORLD0 = []


def _world():
    if not _WORLD0:
        _WORLD0.append(time.monotonic())
    return time.monotonic() - _WORLD0[0]


def _mic_gone(t, variable="FAKE_SD_MIC_GONE"):
    window = os.environ.get(variable)
    if not window:
        return False
    start, end = (float(x) for x in window.split(":"))
    return start <= t < end


def _log(text):
    print(f"fake-sd: {text}", file=sys.stderr, flush=True)


class _Stream:
    def __init__(self, samplerate=None, blocksize=0, device=None, channels=1, dtype="float32",
                 latency=None, callback=None, finished_callback=None, **kw):
        self.samplerate = float(samplerate or 16000)
        self.blocksize = int(blocksize or self.samplerate // 50)
        self.channels = channels
        self.callback = callback
        self.finished_callback = finished_callback
        self.active = False
        self.closed = False
        self._thread = None
        self._stop = threading.Event()
        _log(f"open {type(self).__name__} {self.samplerate:.0f} Hz")

    def start(self):
        self.active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        period = self.blocksize / self.samplerate
        next_time = time.monotonic()
        while not self._stop.is_set():
            self._tick()
            next_time += period
            time.sleep(max(0.0, next_time - time.monotonic()))

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.active = False

    def close(self):
        if self.active:
            self.stop()
        self.closed = True
        _log(f"closed {type(self).__name__}")

    abort = stop

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()


class OutputStream(_Stream):
    def __init__(self, *args, **kw):
        if _mic_gone(_world(), "FAKE_SD_OUT_GONE"):
            raise PortAudioError("Error opening OutputStream: Device unavailable "
                                 "[PaErrorCode -9985]")
        super().__init__(*args, **kw)

    def _tick(self):
        if _mic_gone(_world(), "FAKE_SD_OUT_GONE"):
            _log("output device vanished")
            self.active = False
            self._stop.set()
            return
        out = np.zeros((self.blocksize, self.channels), np.float32)
        self.callback(out, self.blocksize, None, CallbackFlags())


class InputStream(_Stream):
    def __init__(self, *args, **kw):
        if _mic_gone(_world()):
            raise PortAudioError("Error opening InputStream: Device unavailable "
                                 "[PaErrorCode -9985]")
        super().__init__(*args, **kw)
        path = os.environ.get("FAKE_SD_MIC")
        self._mic = np.zeros(0, np.float32)
        if path:
            with wave.open(path, "rb") as w:
                raw = np.frombuffer(w.readframes(w.getnframes()), "<i2")
            self._mic = raw.astype(np.float32) / 32768.0
        self._pos = int(_world() * self.samplerate)

    def _tick(self):
        if _mic_gone(_world()):
            _log("input device vanished")
            self.active = False
            self._stop.set()
            return
        block = self._mic[self._pos:self._pos + self.blocksize]
        self._pos += self.blocksize
        data = np.zeros((self.blocksize, self.channels), np.float32)
        data[:len(block), 0] = block
        self.callback(data, self.blocksize, None, CallbackFlags())
