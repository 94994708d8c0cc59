"""Sound-card output: a sounddevice OutputStream whose callback pulls blocks from a Player."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from voice_coach.errors import UserError
from voice_coach.speech.clock import PlaybackClock
from voice_coach.speech.player import Player

log = logging.getLogger(__name__)

PORTAUDIO_HINT = "PortAudio library not found: install it with sudo apt install libportaudio2"


def import_sounddevice() -> Any:
    """Import sounddevice, turning a missing PortAudio into a one-line UserError."""
    try:
        import sounddevice
    except OSError:
        raise UserError(PORTAUDIO_HINT) from None
    return sounddevice


PLAY_HINT = "use --to FILE.wav to render without a speaker"
"""What to do without a speaker, for ``play``; ``run`` says its own (it has no --to)."""


def resolve_output_device(device: str | int | None, hint: str = PLAY_HINT,
                          label: str = "") -> int | None:
    """Device index for a name substring or index (digits count as an index); None means the
    system default. Raises UserError naming the device when it is not there, or when there
    is no output device at all (then with ``hint``)."""
    from voice_coach.audio_devices import list_devices, resolve_device

    import_sounddevice()
    if isinstance(device, str):
        device = int(device) if device.strip().isdigit() else (device.strip() or None)
    outputs = [d for d in list_devices() if d.max_output_channels > 0]
    if not outputs:
        named = "" if device is None else f" (asked for {device!r})"
        raise UserError(f"no audio output device found{named}; {hint}")
    return resolve_device(device, "output", outputs, label=label)


OUTPUT_LATENCY_S = 0.3
"""Audio the sound server holds ahead of the speaker, s: deep enough that a busy machine does
not starve the output (0.15 s underflowed under load; bench/LIVE.md). A stop does not wait
for it to play out: ``cut`` drops it."""
UNDERFLOW_LOG_EVERY = 50
"""After the first, one log line per this many output underflows."""


class DeviceOutput:
    """Plays a Player to a sound card. Use as a context manager or call start()/close()."""

    def __init__(self, player: Player, device: str | int | None = None,
                 clock: PlaybackClock | None = None) -> None:
        self.player = player
        self.device = device
        self.clock = clock or PlaybackClock()
        """Anchored at every callback with the time its first sample reaches the speaker."""
        self.underflows = 0
        self.callback_errors = 0
        self._sd = import_sounddevice()
        index = resolve_output_device(device)
        name = "default" if device is None else repr(device)
        self.device_rate = self._pick_rate(index, player.sample_rate)
        self._resampler: Any = None
        if self.device_rate != player.sample_rate:
            import soxr

            # Low-quality soxr keeps the added delay under 1 ms; plenty for speech.
            self._resampler = soxr.ResampleStream(
                player.sample_rate, self.device_rate, 1, dtype="float32", quality="LQ"
            )
        try:
            self._stream = self._sd.OutputStream(
                samplerate=self.device_rate,
                blocksize=round(self.device_rate * player.block_size / player.sample_rate),
                device=index,
                channels=1,
                dtype="float32",
                latency=OUTPUT_LATENCY_S,
                callback=self._callback,
            )
        except Exception as error:  # noqa: BLE001 - PortAudioError/ValueError from the host API
            raise UserError(
                f"audio output device {name} cannot be opened ({error}); "
                "check `voice-coach devices` or try the 'default' or 'pulse' device"
            ) from None
        self._leftover = np.zeros(0, dtype=np.float32)
        self._restarted = False  # the stream was cut and started again
        self.cuts = 0
        """Times ``cut`` dropped what the sound server held."""
        player.on_stop = self.cut

    def cut(self) -> None:
        """Drop the audio the sound server still holds, so that a stop is heard at once
        instead of one output latency later (the Player has already dropped its queue).
        Not on the audio thread: PortAudio waits for the callback to return."""
        if not self.active:
            return
        try:
            # What was handed to the card but not yet played is dropped: the stream's clock
            # then moves by that much (PlaybackClock.dropped), or, unknown, learns afresh.
            playing = self.clock.stream_time_at(float(self._stream.time))
            self._stream.abort()
            handed = self.player.time - len(self._leftover) / self.device_rate
            self._leftover = np.zeros(0, dtype=np.float32)
            if playing is not None and 0.0 <= handed - playing < 2 * OUTPUT_LATENCY_S:
                self.clock.dropped(handed - playing)
            else:
                self._restarted = True
            self._stream.start()
            self.cuts += 1
        except Exception as error:  # noqa: BLE001 - PortAudioError from the host API
            # A stream that will not restart is noticed as inactive and reopened.
            log.warning("could not cut the speaker's buffered audio (%s)", error)

    def _pick_rate(self, index: int | None, rate: int) -> int:
        """The voice's own rate if the device takes it, else the device's preferred rate
        (many USB and HDMI outputs opened directly only accept 44.1 or 48 kHz)."""
        try:
            self._sd.check_output_settings(
                device=index, channels=1, dtype="float32", samplerate=rate
            )
            return rate
        except Exception:  # noqa: BLE001 - PortAudioError/ValueError from the host API
            info = self._sd.query_devices(index, kind="output" if index is None else None)
            fallback = int(info["default_samplerate"])
            log.info("output device does not take %d Hz; resampling to %d Hz", rate, fallback)
            return fallback

    def start(self) -> None:
        self._stream.start()

    @property
    def active(self) -> bool:
        """False once the stream has stopped by itself (a device error, a callback abort)."""
        return bool(getattr(self._stream, "active", True))

    def close(self) -> None:
        if self.player.on_stop == self.cut:
            self.player.on_stop = None
        self._stream.stop()
        self._stream.close()

    def __enter__(self) -> DeviceOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def latency(self) -> float:
        """The output latency PortAudio reports, s."""
        return float(getattr(self._stream, "latency", 0.0) or 0.0)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # Runs on PortAudio's thread: an exception here would kill the stream silently.
        try:
            underflow = bool(status and status.output_underflow)
            if underflow:
                self.underflows += 1
                if self.underflows % UNDERFLOW_LOG_EVERY == 1:
                    log.warning("audio output underflow (%d so far)", self.underflows)
            dac = float(getattr(time_info, "outputBufferDacTime", 0.0) or 0.0)
            if dac > 0:
                first = self.player.time - len(self._leftover) / self.device_rate
                self.clock.anchor(first, dac, restart=underflow or self._restarted)
                self._restarted = False
            buffer = self._leftover
            while len(buffer) < frames:
                block = self.player.read_block()
                if self._resampler is not None:
                    block = self._resampler.resample_chunk(block)
                buffer = np.concatenate([buffer, block])
            outdata[:, 0] = buffer[:frames]
            self._leftover = buffer[frames:]
        except Exception:  # noqa: BLE001
            self.callback_errors += 1
            if self.callback_errors == 1:
                log.exception("audio output callback failed; playing silence")
            outdata.fill(0)
