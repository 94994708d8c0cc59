"""Speech output: Piper synthesis with caching, the block Player, WAV files and the speaker.

Heavy dependencies (piper, sounddevice) are imported only when first used.
"""

from voice_coach.speech.player import Player
from voice_coach.speech.synth import Synthesizer
from voice_coach.speech.voice import VoiceInfo, default_voice_path, load_voice_info
from voice_coach.speech.wav import WavWriter, read_wav

__all__ = [
    "DeviceOutput",
    "Player",
    "Synthesizer",
    "VoiceInfo",
    "WavWriter",
    "default_voice_path",
    "load_voice_info",
    "read_wav",
]


def __getattr__(name: str) -> object:
    # DeviceOutput pulls in nothing heavy itself, but keep the device module off the
    # import path of commands that never touch a sound card.
    if name == "DeviceOutput":
        from voice_coach.speech.device import DeviceOutput

        return DeviceOutput
    raise AttributeError(name)
