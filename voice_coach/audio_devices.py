"""Sound devices through sounddevice/PortAudio: listing them and resolving config values.

sounddevice is imported lazily so that commands which never touch audio work without
PortAudio installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voice_coach.errors import UserError

Kind = Literal["input", "output"]


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device as reported by the host audio system."""

    index: int
    """PortAudio device index (what ``input_device``/``output_device`` accept as a number)."""
    name: str
    """Device name as PortAudio reports it (with the host API's naming)."""
    host_api: str
    """Host API name, e.g. "ALSA"."""
    max_input_channels: int
    """Capture channels; 0 for a playback-only device."""
    max_output_channels: int
    """Playback channels; 0 for a capture-only device."""
    default_samplerate: float
    """The device's preferred sample rate in Hz."""
    is_default_input: bool
    """True for the system's default input device."""
    is_default_output: bool
    """True for the system's default output device."""


def _sounddevice():  # noqa: ANN202 - the module type is not importable without PortAudio
    try:
        import sounddevice
    except OSError as error:
        raise UserError(
            f"audio unavailable: {error} (install it: sudo apt install libportaudio2)"
        ) from None
    return sounddevice


def list_devices() -> list[DeviceInfo]:
    """All PortAudio devices; UserError if PortAudio itself is missing."""
    sd = _sounddevice()
    try:
        raw = list(sd.query_devices())
        apis = [api["name"] for api in sd.query_hostapis()]
        default_in, default_out = sd.default.device
    except sd.PortAudioError as error:
        raise UserError(f"audio system error: {error}") from None
    return [
        DeviceInfo(
            index=int(d["index"]),
            name=str(d["name"]),
            host_api=apis[d["hostapi"]] if 0 <= d["hostapi"] < len(apis) else "?",
            max_input_channels=int(d["max_input_channels"]),
            max_output_channels=int(d["max_output_channels"]),
            default_samplerate=float(d["default_samplerate"]),
            is_default_input=d["index"] == default_in,
            is_default_output=d["index"] == default_out,
        )
        for d in raw
    ]


def _channels(device: DeviceInfo, kind: Kind) -> int:
    return device.max_input_channels if kind == "input" else device.max_output_channels


def _listing(devices: list[DeviceInfo], kind: Kind) -> str:
    """The devices one could have meant, on the error's one line."""
    names = ", ".join(f'{d.index} "{d.name}"' for d in devices)
    return f"{kind} devices: {names} (see `voice-coach devices`)"


def resolve_device(value: str | int | None, kind: Kind,
                   devices: list[DeviceInfo] | None = None, hint: str = "",
                   label: str = "") -> int | None:
    """Turn a config value (name substring or index) into a PortAudio index.

    ``None`` means the system default and is returned unchanged (after checking that some
    device of that kind exists). A name matches case-insensitively as a substring; when several
    devices match, an exact name wins, otherwise the choice is ambiguous and an error.
    ``hint`` is added when there is no device of that kind at all; ``label`` is what the user
    set (default: the config key).
    """
    devices = list_devices() if devices is None else devices
    usable = [d for d in devices if _channels(d, kind) > 0]
    key = f"{label} " if label.startswith("--") else f"{label or kind + '_device'} = "
    if not usable:
        raise UserError(f"no audio {kind} device found (connect one, check `voice-coach "
                        f"devices` and 'aplay -l' / 'arecord -l'){'; ' + hint if hint else ''}")
    if value is None:
        return None
    if isinstance(value, int):
        if not any(d.index == value for d in usable):
            raise UserError(f"{key}{value}: no {kind} device with that index; "
                            f"{_listing(usable, kind)}")
        return value
    needle = value.casefold()
    matches = [d for d in usable if needle in d.name.casefold()]
    exact = [d for d in matches if d.name.casefold() == needle]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0].index
    if not matches:
        raise UserError(f'{key}"{value}": no {kind} device name contains it; '
                        f"{_listing(usable, kind)}")
    names = "; ".join(f"{d.index}: {d.name}" for d in matches)
    raise UserError(f'{key}"{value}" matches several {kind} devices ({names}); '
                    f"use a longer name or the index")
