"""``voice-coach selftest``: the coach says one line through the configured speaker while the
configured microphone listens, timed as ``run`` times them, and says what it found: whether
the microphone hears the speaker, the echo path's delay, levels, clipping, underflows."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from voice_coach.app.live_mic import input_rate
from voice_coach.app.prepare import block_size
from voice_coach.audio import BLOCK_SECONDS, LISTEN_RATE
from voice_coach.config import Config
from voice_coach.listen.echo.delay import DelayEstimate, estimate_delay
from voice_coach.listen.echo.reference import ReferenceBuffer
from voice_coach.listen.resample import Resampler
from voice_coach.listen.sources import CLOCK_WAIT_S, DeviceSource
from voice_coach.speech import Player, Synthesizer
from voice_coach.speech.clock import PlaybackClock
from voice_coach.speech.device import DeviceOutput

PHRASE = "This is your coach, testing the speaker and the microphone. One, two, three."
QUIET_S = 0.8
"""Silence recorded before the phrase (the room's noise) and after it (its echo), s."""
HEARD_CONFIDENCE = 0.5
"""Delay-estimate confidence from which the delay is reported."""
ABOVE_ROOM_DB = 6.0
SILENT_DBFS = -70.0
"""The microphone must be this much louder while the coach speaks than before, and above
this level, to count as hearing it (a silent input correlates with anything)."""
MAX_DELAY_S = 1.5
"""Longest player-to-listener delay looked for, s."""
CLIP = 0.99
"""Sample magnitude counted as clipping."""


@dataclass(frozen=True)
class SelfTest:
    output_latency_s: float
    mic_rate: int
    noise_dbfs: float
    """Microphone level before the phrase (the room)."""
    echo_dbfs: float
    """Microphone level while the coach spoke."""
    clipped: int
    """Microphone samples at full scale."""
    delay: DelayEstimate | None
    """Speaker-to-microphone delay, as the listener will see it."""
    underflows: int
    overflows: int

    @property
    def heard(self) -> bool:
        return self.echo_dbfs >= max(self.noise_dbfs + ABOVE_ROOM_DB, SILENT_DBFS)

    @property
    def delay_known(self) -> bool:
        return self.delay is not None and self.delay.confidence >= HEARD_CONFIDENCE

    @property
    def problems(self) -> list[str]:
        out = []
        if not self.heard:
            out.append("the microphone did not hear the speaker (check the devices, the "
                       "speaker volume and the mic's capture level with alsamixer)")
        if self.clipped:
            out.append(f"the microphone clipped ({self.clipped} samples): lower its capture "
                       "level or the speaker volume")
        if self.underflows or self.overflows:
            out.append(f"{self.underflows} output underflows and {self.overflows} input "
                       "overflows: the machine is too busy or the device buffers too little")
        return out


def dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-10))


def self_test(config: Config) -> SelfTest:
    from voice_coach.audio_devices import resolve_device

    with Synthesizer(config.voice) as synthesizer:
        pcm = synthesizer.synthesize(PHRASE)
        rate = synthesizer.sample_rate
    player = Player(rate, block_size(rate), volume=config.volume)
    reference = ReferenceBuffer(rate)
    player.add_tap(reference.tap)
    clock = PlaybackClock()
    mic_rate = input_rate(resolve_device(config.input_device, "input"))
    output = DeviceOutput(player, config.output_device, clock)
    output.start()
    source: DeviceSource | None = None
    blocks: list[tuple[np.ndarray, float]] = []
    try:
        source = DeviceSource(config.input_device, mic_rate, BLOCK_SECONDS,
                              start_time=player.time, timing=clock.stream_time_at)
        deadline = time.monotonic() + CLOCK_WAIT_S + 1.0
        while not source.delivering and time.monotonic() < deadline:
            time.sleep(0.02)
        end = time.monotonic() + QUIET_S
        spoken = False
        while time.monotonic() < end or not spoken:
            got = source.read(timeout=0.5)
            if got is not None:
                blocks.append(got)
            if not spoken and time.monotonic() >= end:
                player.play(1, pcm)
                spoken = True
                end = time.monotonic() + len(pcm) / rate + QUIET_S + output.latency
    finally:
        output.close()
        if source is not None:
            source.close()
    if not blocks:
        return SelfTest(output.latency, mic_rate, -200.0, -200.0, 0, None, output.underflows,
                        source.status_errors if source else 0)
    start = blocks[0][1]
    # Each block where its capture time puts it (the first ones may be timed by count).
    placed = np.zeros(round((blocks[-1][1] - start) * mic_rate) + len(blocks[-1][0]), np.float32)
    for block, at in blocks:
        i = max(0, min(round((at - start) * mic_rate), len(placed) - len(block)))
        placed[i:i + len(block)] = block
    mic = Resampler(mic_rate, LISTEN_RATE).process(placed)
    ref = reference.read(start, len(mic))
    quiet = mic[: int(QUIET_S * LISTEN_RATE * 0.8)]
    loud = mic[np.abs(ref) > 0] if np.any(np.abs(ref) > 0) else mic
    clipped = int(sum(int(np.sum(np.abs(b) >= CLIP)) for b, _ in blocks))
    return SelfTest(output.latency, mic_rate, dbfs(quiet), dbfs(loud), clipped,
                    estimate_delay(mic, ref, max_delay_s=MAX_DELAY_S), output.underflows,
                    source.status_errors)
