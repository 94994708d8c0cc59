"""Enrollment on the sound cards of ``run`` ([audio] input_device / output_device): the Player
on the speaker, the microphone read through the same DeviceSource the listener uses.

The microphone is open throughout, but what it hears while the coach speaks is thrown away:
a take is recorded only once the prompt has left the speaker (the output latency) and the
room has settled, so the coach is silent in every take.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from voice_coach.app.enroll_ears import RecordLimits, TakeRecorder
from voice_coach.app.enroll_sim import SETTLE_S
from voice_coach.app.live_mic import input_rate
from voice_coach.app.live_run import NO_SOUND_CARD_HINT, check_audio
from voice_coach.app.prepare import block_size
from voice_coach.audio import BLOCK_SECONDS
from voice_coach.config import Config
from voice_coach.errors import UserError
from voice_coach.listen.resample import Resampler
from voice_coach.speech import Player, Synthesizer

if TYPE_CHECKING:
    from voice_coach.listen.sources import DeviceSource
    from voice_coach.speech.device import DeviceOutput

READ_TIMEOUT_S = 2.0
"""A microphone silent for this long has stopped: one clear line, not a hang."""


class LiveEnrollAudio:
    """``EnrollAudio`` on the configured sound cards; use as a context manager."""

    def __init__(self, config: Config, synthesizer: Synthesizer,
                 limits: RecordLimits | None = None) -> None:
        self.config = config
        self.synthesizer = synthesizer
        self.limits = limits or RecordLimits()
        self.mic_index = check_audio(config)
        self.mic_rate = input_rate(self.mic_index)
        self.player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate),
                             volume=config.volume)
        self._output: DeviceOutput | None = None
        self._source: DeviceSource | None = None
        self._said = 0

    def __enter__(self) -> LiveEnrollAudio:
        from voice_coach.listen.sources import DeviceSource
        from voice_coach.speech.device import DeviceOutput

        self._output = DeviceOutput(self.player, self.config.output_device)
        self._output.start()
        try:
            self._source = DeviceSource(self.config.input_device, self.mic_rate, BLOCK_SECONDS)
        except UserError as error:
            self.close()
            raise UserError(f"{error}; {NO_SOUND_CARD_HINT}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.player.stop()
        time.sleep(2 * BLOCK_SECONDS)  # let the fade-out reach the speaker
        source, self._source = self._source, None
        if source is not None:
            source.close()
        output, self._output = self._output, None
        if output is not None:
            output.close()

    def say(self, text: str) -> None:
        self._said += 1
        self.player.play(self._said, self.synthesizer.synthesize(text, self.config.rate))
        while not self.player.is_idle:
            time.sleep(BLOCK_SECONDS)
        latency = self._output.latency if self._output is not None else 0.0
        time.sleep(latency + SETTLE_S)
        self._drain()

    def _drain(self) -> None:
        assert self._source is not None
        while self._source.read(timeout=0) is not None:
            pass

    def record(self) -> np.ndarray:
        assert self._source is not None
        recorder = TakeRecorder(self.limits)
        resampler = Resampler(self.mic_rate)
        while True:
            got = self._source.read(timeout=READ_TIMEOUT_S)
            if got is None:
                name = "default" if self.config.input_device is None \
                    else repr(self.config.input_device)
                raise UserError(f"microphone {name} stopped delivering audio; check "
                                "`voice-coach devices` and [audio] input_device")
            if recorder.add(resampler.process(got[0])):
                return recorder.take()
