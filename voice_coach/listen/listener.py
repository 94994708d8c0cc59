"""The listener core: mic blocks + playback reference in, commands (``Heard``) out.

Pure-ish like openWakeWord's ``predict(frame)``: the caller owns the microphone and the clock,
hands in mic blocks with their stream time and the Player's blocks with theirs (both on one
clock; the unknown speaker-to-mic delay is estimated here), and gets back what was heard.

Per block: resample to 16 kHz -> wait for the reference of the same stretch (the reference
resampler holds back ~20 ms) -> echo front end (front_end.py: AEC3 for endpoints and voice
detection, a linear canceller for the recognizer, and an onset signal that hears a quiet
voice over the coach sooner: onset.py) -> recognizer restricted to the mode's
phrases (plus a garbage path) -> strict parser -> the checks that the command was the user's,
said on its own (acceptance.py). With Vosk, Silero VAD ends utterances early (Vosk waits
~1 s). With a voice profile, a template spotter hears the same cleaned signal and is fused
with the recognizer (spotting.py, personal/fusion.py); without one nothing of it runs.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.commands import ListenMode
from voice_coach.listen.accept.acceptance import Acceptance
from voice_coach.listen.accept.echo_gate import FRAME, GateParams, ReferenceDecoder
from voice_coach.listen.accept.speech_check import SpeechCheck
from voice_coach.listen.audio_ring import AudioRing
from voice_coach.listen.decide import Decider, Decoder, Heard
from voice_coach.listen.echo.align import EchoAligner
from voice_coach.listen.echo.coach_alone import ALONE, COACH_ALONE_GAIN, DRY, CoachAlone
from voice_coach.listen.echo.delay import DelayEstimator
from voice_coach.listen.echo.front_end import EchoFrontEnd
from voice_coach.listen.echo.reference import ReferenceBuffer
from voice_coach.listen.engines.base import Hypothesis, Recognizer, as_int16
from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.engines.vad_feed import VadFeed
from voice_coach.listen.mic_clock import MicClock
from voice_coach.listen.modes import MODES, ChoiceKey, choice_key, choice_table, command_table
from voice_coach.listen.parser import CommandParser
from voice_coach.listen.phrases import PhraseTable
from voice_coach.listen.resample import Resampler
from voice_coach.listen.spotting import Spot, Spotter

log = logging.getLogger(__name__)

__all__ = ["FLOOR_SCALE", "RATE", "Heard", "Listener"]

"""Rate everything runs at inside the listener, Hz."""
MAX_REFERENCE_WAIT_S = 0.12
"""Longest the mic may run ahead of the reference before it is processed without it (the
player stalled or stopped tapping), s."""
FLOOR_SCALE = 0.5
"""Multiplier of the phrase table's per-command confidence floors: in a reverberant room
PocketSphinx gives correct commands posteriors well below the clean-speech floors.
Measured: bench/LISTENING.md."""
VAD_SILENCE_S = 0.2
"""Non-speech after speech at which the VAD ends an utterance for engines that wait longer."""
REFERENCE_QUALITY = "QQ"
"""soxr quality of the reference resampler: "QQ" holds back ~2 ms instead of HQ's ~21 ms,
and the listener waits for the reference of every mic block (AEC3 cares little)."""
MIC_HELD_S = 12.0
"""Seconds of raw mic kept for the checks of a command's words (a long utterance's first
words included)."""
REPORT_EVERY_S = 300.0
"""Mic seconds between the log lines that say where the echo path and the mic clock stand."""


class Listener:
    """Streaming command listener for one phrase table and engine (see module docstring)."""

    def __init__(self, engine: Engine, table: PhraseTable, *, mic_rate: int = RATE,
                 aec: bool = True, echo_check: bool = True, vad: bool | None = None,
                 linear: bool = True,
                 gate: GateParams | None = None, floor_scale: float = FLOOR_SCALE,
                 spotter: Spotter | None = None) -> None:
        self.engine = engine
        """Recognizer kind and model."""
        self.table = command_table(table, floor_scale)
        self._answers = table.answers  # the choice of a yes/no question listens for these
        """The language's phrase table as listened for (wake phrase included)."""
        self.mic_rate = mic_rate
        """Rate of the mic blocks given to ``process``, Hz."""
        self.rejections: deque[tuple[float, str, str]] = deque(maxlen=100)
        """(time, command, why) of parsed commands the checks rejected (last 100)."""
        self._resampler = Resampler(mic_rate, RATE)
        self._lock = threading.Lock()
        self._ref: ReferenceBuffer | None = None  # created at the first reference block
        self._front = EchoFrontEnd(aec, linear)
        self._speech = SpeechCheck()
        self._mic = AudioRing(MIC_HELD_S)
        self._latency = self._front.latency
        self._delay = DelayEstimator(RATE)
        self._aligner = EchoAligner(RATE)
        self._alone = CoachAlone(self._latency)
        self._accept = Acceptance(self._front.heard_energy, self._speech, self._mic,
                                  self._delay, gate or GateParams(), echo_check)
        self._accept.moving_echo = self._front.untrusted_during
        self._decider = Decider(self._accept, self._latency, self.rejections)
        use_vad = engine.flush_on_vad if vad is None else vad
        self._vad = VadFeed(VAD_SILENCE_S) if use_vad else None
        self._clock = MicClock(mic_rate)
        self._next_report = round(REPORT_EVERY_S * RATE)
        self._pending = np.zeros(0, np.float32)  # resampled mic not yet processed
        self._done = 0  # listener samples processed (mic clock)
        self._cleaned = 0  # cleaned samples produced (cleaned clock = mic clock + latency)
        self._decoders: dict[tuple[str, ChoiceKey], Decoder] = {}
        self.spotter = spotter
        """Template spotter of the user's enrolled takes, None without a profile."""
        self.tap: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None = None
        """Called with (mic, reference, cleaned) of every stretch processed, on the listener's
        clock (the cleaned signal runs ``latency`` samples behind; the reference as the
        timestamps put it, before the echo aligner's moves): for recording what the listener
        heard when it misbehaves on a real device, and replaying it (``detect --reference``)."""
        self._mode = ListenMode.SESSION
        self._active = self._decoder(ListenMode.SESSION, ())

    # ----------------------------------------------------------------- public API
    @property
    def clock_followed_s(self) -> float:
        """Net time the mic's sample count was moved to follow the blocks' times (mic_clock.py),
        s."""
        return self._clock.followed_s

    @property
    def mode(self) -> ListenMode:
        return self._mode

    def set_mode(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None) -> None:
        """"wake": only the wake phrase; "session": bare commands; "choice": ``choices``
        (key -> phrasings) plus resume / stop / help / repeat. Drops any utterance in
        progress; recognizers are cached per choice set."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        mode = ListenMode(mode)
        key = choice_key(choices) if mode == ListenMode.CHOICE else ()
        decoder = self._decoder(mode, key)
        decoder.parser.mode = "wake" if mode == ListenMode.WAKE else "session"
        if decoder is not self._active:
            self._active.recognizer.reset()
        if self.spotter is not None:
            self.spotter.reset()
        decoder.recognizer.reset()
        decoder.offset = self._cleaned - _samples(decoder.recognizer)
        self._active, self._mode = decoder, mode

    def prepare(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None) -> None:
        """Build the recognizers of a mode now, not when it is first set: PocketSphinx holds
        the GIL for a fifth of a second while it builds one, which starves the sound card."""
        mode = ListenMode(mode)
        key = choice_key(choices) if mode == ListenMode.CHOICE else ()
        self._decoder(mode, key).reference.build()

    def add_reference(self, block: np.ndarray, start_time: float, rate: int) -> None:
        """What the speaker played (the Player's tap), from any thread."""
        with self._lock:
            if self._ref is None or self._ref.source_rate != rate:
                moved = self._ref.moved_s if self._ref is not None else 0.0
                self._ref = ReferenceBuffer(rate, quality=REFERENCE_QUALITY)
                self._ref.move(moved)
            ref = self._ref
        ref.tap(np.asarray(block, np.float32), start_time)

    def process(self, mic_block: np.ndarray, start_time: float) -> list[Heard]:
        """Feed one mic block (``mic_rate``, mono or frames x channels) that started at
        ``start_time``; returns the commands decided by the end of it."""
        block, jumped = self._clock.join(np.asarray(mic_block), start_time,
                                         (self._done + len(self._pending)) / RATE)
        if jumped:
            self._active.recognizer.reset()
        self._pending = np.concatenate([self._pending, self._resampler.process(block)])
        assert self._clock.expected is not None
        return self._run(self._clock.expected)

    def flush(self) -> list[Heard]:
        """End of stream: process what is pending and end the utterance in progress."""
        now = self._clock.expected or 0.0
        heard = self._run(now, final=True)
        heard += self._decide(self._active.recognizer.flush(), now)
        if self.spotter is not None:  # the recognizer has said all it will
            heard += [h for spot in self.spotter.due(2**62)
                      if (h := self._spotted(spot, now)) is not None]
        return heard

    # ----------------------------------------------------------------- internals
    def _decoder(self, mode: ListenMode, key: ChoiceKey) -> Decoder:
        cache_key = (ListenMode.CHOICE, key) if mode == ListenMode.CHOICE \
            else (ListenMode.SESSION, ())
        decoder = self._decoders.get(cache_key)
        if decoder is None:
            table = choice_table(self.table, key, self.engine.knows, self._answers) \
                if mode == ListenMode.CHOICE \
                else self.table
            # Only the wake and session decoder hears the wake phrase (parser.py).
            recognizer = self.engine.create(table, check_wake=mode != ListenMode.CHOICE)
            decoder = Decoder(recognizer, CommandParser(table, "session"),
                               ReferenceDecoder(self.engine.create, table),
                               offset=self._cleaned)
            self._decoders[cache_key] = decoder
        return decoder

    def _run(self, now: float, final: bool = False) -> list[Heard]:
        origin = self._clock.origin
        if origin is None:  # nothing heard yet
            return []
        n = len(self._pending)
        ref = self._ref
        if ref is not None and not final:
            ready = round((ref.available_until - origin) * RATE) - self._done
            if n - ready < MAX_REFERENCE_WAIT_S * RATE:
                n = max(0, min(n, ready))
        n = n // FRAME * FRAME
        if n == 0:
            return []
        mic = self._pending[:n]
        self._pending = self._pending[n:]
        t0 = origin + self._done / RATE
        reference = ref.read(t0, n) if ref is not None else np.zeros(n, np.float32)
        # AEC3 follows a moved echo by itself: moving its reference too would make it follow
        # every move twice.
        stamped = ref.read(t0, n, moved=False) if ref is not None and ref.moved_s else reference
        target = self._aligner.target_s
        if ref is None or target is None:
            alone = self._alone.process(mic, None, None)
        else:
            alone = self._alone.process(mic, lambda first, k: ref.read(t0 + first / RATE, k),
                                        round(target * RATE))
        self._done += n
        return self._step(mic, reference, stamped, alone, now)

    def _step(self, mic: np.ndarray, reference: np.ndarray, stamped: np.ndarray,
              alone: tuple[np.ndarray, np.ndarray], now: float) -> list[Heard]:
        if self._done >= self._next_report:
            self._next_report += round(REPORT_EVERY_S * RATE)
            self.report()
        self._mic.add(mic)
        if self._ref is not None:
            self._delay.update(mic, reference)
            self._accept.played(reference)
            self._align(mic, reference, self._ref)
        out = self._front.process(mic, reference, stamped)
        if self.tap is not None:
            self.tap(mic, stamped, out.heard)
        self._cleaned += len(out.heard)
        self._speech.add(out.heard)
        # The coach's voice alone is (near) silence to the recognizer, and where the coach is
        # silent on a direct path it hears the mic itself (coach_alone.py).
        states, dry = alone
        decoded, gate, onset = (
            np.where(states == ALONE, np.float32(gain) * x, np.where(states == DRY, dry, x))
            for x, gain in ((out.heard, COACH_ALONE_GAIN), (out.gate, 0.0), (out.onset, 0.0)))
        if self._vad is None:
            hyps = self._active.recognizer.accept(as_int16(decoded), as_int16(gate),
                                                  as_int16(onset))
        else:
            fed = self._vad.feed(decoded, gate)
            self._active.offset -= fed.preroll
            hyps = self._active.recognizer.accept(as_int16(fed.audio))
            if fed.ended and self.engine.flush_on_vad:
                hyps += self._active.recognizer.flush()
        if self.spotter is None:
            return self._decide(hyps, now)
        self.spotter.feed(out.heard, self._mode)
        heard = self._decide(hyps, now)
        return heard + [h for spot in self.spotter.due(self._cleaned)
                        if (h := self._spotted(spot, now)) is not None]

    def _align(self, mic: np.ndarray, reference: np.ndarray, ref: ReferenceBuffer) -> None:
        """Move the reference when the echo moved (a restarted output stream's timestamps
        are off by tens of ms): the cancellers keep the room they learnt."""
        move = self._aligner.update(mic, reference)
        if move:
            with self._lock:  # add_reference may be replacing the buffer
                (self._ref or ref).move(move)
            self._delay.shift(move)
            log.info("%.2f s: the echo moved by %+.1f ms; the reference follows it",
                     (self._clock.origin or 0.0) + self._done / RATE, move * 1000)

    def report(self) -> None:
        """Log where the echo path and the mic clock stand (also every REPORT_EVERY_S)."""
        estimate = self._delay.estimate()
        moved = self._ref.moved_s if self._ref is not None else 0.0
        delay = (f"{(estimate.delay_s + moved) * 1000:.1f} ms "
                 f"(confidence {estimate.confidence:.2f}, reference moved {moved * 1000:+.1f} ms)"
                 if estimate is not None else "not known yet")
        log.info("echo path delay %s; mic clock followed by %+.1f ms so far", delay,
                 self._clock.followed_s * 1000)

    def _decide(self, hyps: list[Hypothesis], now: float) -> list[Heard]:
        return self._decider.hypotheses(hyps, now, self._active, self._clock.origin or 0.0,
                                        self._ref, self.spotter)

    def _spotted(self, spot: Spot, now: float) -> Heard | None:
        return self._decider.spotted(spot, now, self._active, self._clock.origin or 0.0,
                                     self._ref)


def _samples(recognizer: Recognizer) -> int:
    return round(float(getattr(recognizer, "time", 0.0)) * RATE)
