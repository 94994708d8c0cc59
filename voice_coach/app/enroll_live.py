"""Enrollment on the sound cards of ``run`` ([audio] input_device / output_device): prompts
on a Player that a sound card is pulling, takes from the microphone through the same
DeviceSource the listener uses.

The microphone is open throughout, but what it hears while the coach speaks is thrown away:
a take is recorded only once the prompt has left the speaker (the output latency) and the
room has settled, so the coach is silent in every take.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from voice_coach.app.enroll_ears import RecordLimits, TakeRecorder
from voice_coach.app.enroll_sim import PROMPT_ID, SETTLE_S
from voice_coach.audio import BLOCK_SECONDS
from voice_coach.errors import UserError
from voice_coach.listen.resample import Resampler
from voice_coach.speech import Player, Synthesizer

if TYPE_CHECKING:
    from voice_coach.listen.sources import DeviceSource

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 2.0
"""A microphone silent for this long has stopped: one clear line, not a hang."""


class LiveEnrollAudio:
    """``EnrollAudio`` on a running Player and a microphone it opens (context manager)."""

    def __init__(self, player: Player, synthesizer: Synthesizer, rate: float,
                 input_device: str | int | None, mic_rate: int,
                 output_latency: Callable[[], float] = lambda: 0.0,
                 limits: RecordLimits | None = None,
                 cancelled: Callable[[], bool] = lambda: False) -> None:
        self.player = player
        self.synthesizer = synthesizer
        self.rate = rate
        self.input_device = input_device
        self.mic_rate = mic_rate
        self.output_latency = output_latency
        self.limits = limits or RecordLimits()
        self.cancelled = cancelled
        """True once ``run`` is asked to stop (SIGTERM): unwinds like Ctrl-C."""
        self._source: DeviceSource | None = None

    def __enter__(self) -> LiveEnrollAudio:
        from voice_coach.listen.sources import DeviceSource

        self._source = DeviceSource(self.input_device, self.mic_rate, BLOCK_SECONDS)
        return self

    def __exit__(self, *exc: object) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.close()

    def say(self, text: str) -> None:
        self.player.play(PROMPT_ID, self.synthesizer.synthesize(text, self.rate))
        while not self.player.is_idle:
            self._check()
            time.sleep(BLOCK_SECONDS)
        time.sleep(self.output_latency() + SETTLE_S)
        assert self._source is not None
        while self._source.read(timeout=0) is not None:
            pass  # the prompt and its echo: never part of a take
        log.info("prompt done: %r", text)

    def record(self) -> np.ndarray:
        assert self._source is not None
        recorder = TakeRecorder(self.limits)
        resampler = Resampler(self.mic_rate)
        while True:
            self._check()
            got = self._source.read(timeout=READ_TIMEOUT_S)
            if got is None:
                name = "default" if self.input_device is None else repr(self.input_device)
                raise UserError(f"microphone {name} stopped delivering audio; check "
                                "`voice-coach devices` and [audio] input_device")
            if recorder.add(resampler.process(got[0])):
                return recorder.take()

    def _check(self) -> None:
        if self.cancelled():
            self.player.stop()
            raise KeyboardInterrupt
