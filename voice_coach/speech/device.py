"""Sound-card output: a sounddevice OutputStream whose callback pulls blocks from a Player."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from voice_coach.errors import UserError
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


def output_devices() -> list[tuple[int, str]]:
    """(index, name) of every device that can play sound."""
    sd = import_sounddevice()
    return [
        (index, str(info["name"]))
        for index, info in enumerate(sd.query_devices())
        if int(info["max_output_channels"]) > 0
    ]


def resolve_output_device(device: str | int | None) -> int | None:
    """Device index for a name substring or index; None means the system default.

    Raises UserError naming the device when it is not there, or when there is no output
    device at all.
    """
    sd = import_sounddevice()
    devices = output_devices()
    hint = "; use --to FILE.wav to render without a speaker"
    if device is None or device == "":
        try:
            sd.query_devices(kind="output")
        except Exception:  # noqa: BLE001 - PortAudioError or ValueError, depending on host API
            raise UserError(f"no audio output device found{hint}") from None
        return None
    if isinstance(device, int) or str(device).strip().isdigit():
        index = int(device)
        if any(i == index for i, _ in devices):
            return index
        raise UserError(f"audio output device {index} not found{_available(devices)}")
    wanted = str(device).strip().lower()
    exact = [i for i, name in devices if name.lower() == wanted]
    partial = [i for i, name in devices if wanted in name.lower()]
    if exact or partial:
        return (exact or partial)[0]
    raise UserError(f"audio output device '{device}' not found{_available(devices)}")


def _available(devices: list[tuple[int, str]]) -> str:
    if not devices:
        return " (no output devices available; use --to FILE.wav)"
    names = ", ".join(f"{i}: {name}" for i, name in devices[:8])
    return f" (available: {names})"


class DeviceOutput:
    """Plays a Player to a sound card. Use as a context manager or call start()/close()."""

    def __init__(self, player: Player, device: str | int | None = None) -> None:
        self.player = player
        self.device = device
        self.underflows = 0
        self.callback_errors = 0
        self._sd = import_sounddevice()
        index = resolve_output_device(device)
        name = "default" if device is None else repr(device)
        try:
            self._sd.check_output_settings(
                device=index, channels=1, dtype="float32", samplerate=player.sample_rate
            )
            self._stream = self._sd.OutputStream(
                samplerate=player.sample_rate,
                blocksize=player.block_size,
                device=index,
                channels=1,
                dtype="float32",
                latency="low",
                callback=self._callback,
            )
        except Exception as error:  # noqa: BLE001 - PortAudioError/ValueError from the host API
            raise UserError(
                f"audio output device {name} cannot play mono {player.sample_rate} Hz "
                f"({error}); try the 'default' or 'pulse' device"
            ) from None
        self._leftover = np.zeros(0, dtype=np.float32)

    def start(self) -> None:
        self._stream.start()

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()

    def __enter__(self) -> DeviceOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        # Runs on PortAudio's thread: an exception here would kill the stream silently.
        try:
            if status and status.output_underflow:
                self.underflows += 1
                log.warning("audio output underflow (%d so far)", self.underflows)
            buffer = self._leftover
            while len(buffer) < frames:
                buffer = np.concatenate([buffer, self.player.read_block()])
            outdata[:, 0] = buffer[:frames]
            self._leftover = buffer[frames:]
        except Exception:  # noqa: BLE001
            self.callback_errors += 1
            if self.callback_errors == 1:
                log.exception("audio output callback failed; playing silence")
            outdata.fill(0)
