"""SpeechCheck: real festival speech and seeded bumps through the real Silero model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voice_coach.listen.accept.speech_check import SpeechCheck
from voice_coach.sim.bumps import bumps
from voice_coach.sim.speakers import DEFAULT_ENGLISH_VOICES, UserVoices

RATE = 16000


def stream(check: SpeechCheck, audio: np.ndarray, block: int = 320) -> None:
    for i in range(0, len(audio), block):
        check.add(audio[i:i + block])


def test_a_spoken_command_is_a_voice_and_a_knock_is_not(tmp_path: Path) -> None:
    voices = UserVoices(tmp_path)
    fan = np.random.default_rng(3).normal(0.0, 10 ** (-55 / 20), 20 * RATE).astype(np.float32)
    noise = bumps(10.0, seed=1)
    audio = fan.copy()
    audio[: len(noise)] += noise
    said = []
    for n, voice in enumerate(DEFAULT_ENGLISH_VOICES):
        speech = voices.say("faster", voice) * np.float32(0.3)
        at = (12 + 3 * n) * RATE
        audio[at:at + len(speech)] += speech
        said.append((at, at + len(speech)))
    check = SpeechCheck(seconds=30.0)
    stream(check, audio)
    assert check.total == len(audio)
    assert all(check.voiced(a, b) for a, b in said)
    # every 0.6 s stretch of the bumps: knocks, rustles and hums, no voice
    stretches = [(a, a + round(0.6 * RATE)) for a in range(RATE, 9 * RATE, RATE // 2)]
    voiced = [s for s in stretches if check.voiced(*s)]
    assert not voiced, voiced


def test_audio_out_of_the_ring_is_given_the_benefit_of_the_doubt() -> None:
    check = SpeechCheck(seconds=2.0)
    stream(check, bumps(5.0, seed=2))
    assert check.voiced(0, RATE)  # long gone
    assert check.voiced(4 * RATE, 6 * RATE)  # not there yet
    assert not check.voiced(4 * RATE, round(4.5 * RATE))
