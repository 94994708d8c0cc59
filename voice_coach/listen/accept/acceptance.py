"""After the parser: was a parsed command the user's, said on its own? The listener's checks.

In order: said on its own, not the rest of a sentence the recognizer split at a pause
(CONTINUATION_S) -> a voice in the words (speech_check.py: Silero) -> not over the coach
before the cancellers have learned the room (ECHO_LEARNING_S) -> unless a pause, stop or cry,
not over the coach while its echo path was moving (``moving_echo``) -> the echo gate
(echo_gate.py: residual level, the share of the words' sound the playback explains
(echo_fit.py), what the coach itself said then).

A distress pause (parser.py) skips the first check, a cry comes after any words, and is
echo only when the playback explains its sound or the coach said each of its distress words
then. A command that continues other speech but holds a distress word ("I need to | stop") is
a distress pause: the whole sentence was a cry; words before it that the playback explains
are the coach's, and continue nothing. A pause or stop that starts within CONTINUATION_S of
the end of a pause is the rest of it ("ow | stop", "stop | stop"), one cry, not obeyed twice:
a second "pause" would only say "Already paused", and a "stop" would end the session the user
asked to pause.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.accept.echo_fit import TAPS, echo_share
from voice_coach.listen.accept.echo_gate import (
    FRAME,
    EnergyLog,
    Evidence,
    GateParams,
    ReferenceDecoder,
    fit_clears,
    is_coach_residual,
    verdict,
)
from voice_coach.listen.accept.speech_check import SpeechCheck
from voice_coach.listen.audio_ring import AudioRing
from voice_coach.listen.echo.delay import DelayEstimator
from voice_coach.listen.echo.reference import ReferenceBuffer
from voice_coach.listen.engines.base import Hypothesis, Word
from voice_coach.listen.parser import CommandParser, ParsedCommand

REFERENCE_SLACK_S = 0.25
"""How far a word in the coach's playback may be from the command's words (after the
estimated delay) and still count as the same words, s."""
DELAY_RELIABLE = 0.3
"""Delay-estimate confidence from which the estimate alone places the coach's words."""
PLAYBACK_AUDIBLE_RMS = 10 ** (-45 / 20)
"""Playback RMS above which the coach counts as audible during a word (-45 dBFS)."""
ECHO_LEARNING_S = 3.0
"""Seconds of audible playback the cancellers must have heard before a command said while the
coach is audible counts: until then they leave the coach's voice nearly whole.
Measured: bench/LISTENING.md."""
ECHO_LEAD_S = 0.1
"""How far the echo may come before the playback's timestamps put it (a restarted stream's
are off by tens of ms), s."""
CONTINUATION_S = 0.5
"""A command that starts less than this long after a voice's non-command words ended is taken
for the rest of that sentence ("... for the children | in the back" is no "go back").
Measured: bench/LISTENING.md."""


@dataclass(frozen=True)
class WordClock:
    """Where a recognizer's times sit on the listener's clocks."""

    origin: float
    """Mic-stream time of listener sample 0, s."""
    offset: int
    """Cleaned-clock sample of the recognizer's time 0."""
    latency: int
    """How far the cleaned clock runs behind the mic clock, samples."""

    def mic_time(self, recognizer_time: float) -> float:
        """Mic-stream seconds of a recognizer time."""
        return self.origin + (self.offset + recognizer_time * RATE - self.latency) / RATE

    def samples(self, words: Sequence[Word]) -> tuple[int, int]:
        """Cleaned-clock sample span of words."""
        return (round(self.offset + words[0].start * RATE),
                round(self.offset + words[-1].end * RATE))

    def mic_samples(self, words: Sequence[Word]) -> tuple[int, int]:
        """Mic-clock sample span of words (listener sample 0 at ``origin``)."""
        start, end = self.samples(words)
        return start - self.latency, end - self.latency

    def spans(self, words: Sequence[Word]) -> tuple[tuple[int, int], ...]:
        """Energy-log frame spans of words."""
        return tuple((round((self.offset + w.start * RATE) / FRAME),
                      round((self.offset + w.end * RATE) / FRAME)) for w in words)


@dataclass(frozen=True)
class _Other:
    """The last utterance that was not a command, for CONTINUATION_S."""

    end: float
    """Mic-stream time its last speech ended (the recognizer's word ends come earlier when
    it ends a sentence in garbage words), s."""
    text: str
    samples: tuple[int, int]
    """Its words' span on the cleaned clock, samples."""
    spans: tuple[tuple[int, int], ...]
    """Its words' energy-log frame spans."""
    mic: tuple[int, int]
    """Its words' span on the mic clock, samples."""
    unlearned_echo: bool
    """The coach was audible during it before the cancellers had learned the room
    (ECHO_LEARNING_S): then it was most likely the coach, whatever its levels say."""


class Acceptance:
    """The checks a parsed command must pass; fed what the listener hears and plays."""

    def __init__(self, energy: EnergyLog, speech: SpeechCheck, mic: AudioRing,
                 delay: DelayEstimator, gate: GateParams, echo_check: bool) -> None:
        self.energy = energy
        """Mic and cleaned energies per frame (the front end's)."""
        self.mic = mic
        """The raw mic at 16 kHz on the mic clock (before any canceller)."""
        self.speech = speech
        self.delay = delay
        self.gate = gate
        self.echo_check = echo_check
        """Whether commands taken for the coach's own voice are rejected."""
        self._playback_heard = 0  # samples of audible playback fed to the cancellers
        self._other: _Other | None = None
        self._pause_end: float | None = None  # mic time the last accepted pause ended
        self.moving_echo: Callable[[int, int], bool] | None = None
        """Whether the echo path was moving (a restarted output stream) during a cleaned-clock
        span: the coach's voice is then not removed, and a command other than a cry, a pause
        or a stop heard in it is most likely the coach (front_end.py)."""

    def played(self, reference: np.ndarray) -> None:
        """The cancellers were fed this stretch of playback."""
        if np.mean(np.square(reference, dtype=np.float64)) > PLAYBACK_AUDIBLE_RMS**2:
            self._playback_heard += len(reference)

    def not_a_command(self, hyp: Hypothesis, clock: WordClock,
                      playback: ReferenceBuffer | None) -> None:
        """``hyp`` parsed to no command: a sentence a command may be the rest of.
        ``playback`` is what the speaker played (None before the first reference block)."""
        if hyp.words:
            unlearned = bool(self._learning_echo(hyp, clock, playback))
            self._other = _Other(clock.mic_time(hyp.end), hyp.text, clock.samples(hyp.words),
                                 clock.spans(hyp.words), clock.mic_samples(hyp.words), unlearned)

    def judge(self, hyp: Hypothesis, parsed: ParsedCommand, clock: WordClock,
              playback: ReferenceBuffer | None, parser: CommandParser,
              coach: ReferenceDecoder) -> ParsedCommand | str:
        """The command to obey for ``parsed`` (what ``hyp`` parsed to), or why it is not the
        user's own; ``coach`` decodes the playback with the parser's phrases."""
        why = self._continues_pause(hyp, parsed, clock)
        if why:
            return why
        if not parsed.distress:
            why = self._continues_other_speech(hyp, clock, playback)
            if why and not parser.table.distress_words(parsed.text.split()):
                return why
            if why:  # the rest of a sentence with a cry in it ("I need to | stop"): a cry
                parsed = replace(parsed, command="pause", distress=True)
        if not self.speech.voiced(*clock.samples(hyp.words)):
            return "no voice in it, only sound"
        why = self._learning_echo(hyp, clock, playback) or \
            self._moving_echo(hyp, parsed, clock) or \
            self._echo_verdict(hyp, parsed, clock, playback, parser, coach)
        if why:
            return why
        if parsed.command == "pause":
            self._pause_end = clock.mic_time(hyp.end)
        return parsed

    def _continues_pause(self, hyp: Hypothesis, parsed: ParsedCommand,
                         clock: WordClock) -> str:
        if self._pause_end is None or parsed.command not in ("pause", "stop") \
                or not hyp.words:
            return ""
        gap = clock.mic_time(hyp.words[0].start) - self._pause_end
        if gap >= CONTINUATION_S:
            return ""
        return f"the rest of a pause, {gap:.2f} s after it"

    def _continues_other_speech(self, hyp: Hypothesis, clock: WordClock,
                                playback: ReferenceBuffer | None) -> str:
        other = self._other
        if other is None or not hyp.words:
            return ""
        gap = clock.mic_time(hyp.words[0].start) - other.end
        # A negative gap is the same speech decoded again (a later start, a trial finish).
        if not 0.0 <= gap < CONTINUATION_S or other.unlearned_echo:
            return ""
        if not self.speech.voiced(*other.samples):
            return ""
        if is_coach_residual(*self.energy.levels(other.spans), self.gate):
            return ""
        start, end = other.mic  # its end is what the command would continue
        start = max(start, end - round(self.gate.fit_context_s * RATE))
        if playback is not None and \
                self._explained(start, end, clock.origin, playback) > self.gate.max_explained:
            return ""  # the coach's voice, not a sentence of the user's
        return f"follows other speech ({other.text!r}) after {gap:.2f} s"

    def _moving_echo(self, hyp: Hypothesis, parsed: ParsedCommand, clock: WordClock) -> str:
        if not self.echo_check or self.moving_echo is None or not hyp.words \
                or parsed.distress or parsed.command in ("pause", "stop"):
            return ""
        if not self.moving_echo(*clock.samples(hyp.words)):
            return ""
        return "echo: the echo path was moving (the coach's voice not yet removed)"

    def _learning_echo(self, hyp: Hypothesis, clock: WordClock,
                       playback: ReferenceBuffer | None) -> str:
        if not self.echo_check or self._playback_heard >= ECHO_LEARNING_S * RATE:
            return ""
        if playback is None or not self._coach_audible(hyp.words, clock, playback):
            return ""
        return f"echo: the echo path is still being learned ({self._playback_heard / RATE:.1f} s)"

    def _coach_audible(self, words: Sequence[Word], clock: WordClock,
                       playback: ReferenceBuffer) -> bool:
        """Whether the coach's playback (moved by the estimated delay) had sound during
        ``words``: the playback, not the mic, since a user's own voice is partly "removed" by
        AEC3 too. With no reliable delay estimate, anywhere the delay may lie counts."""
        delay, spread = self._playback_delay()
        start = clock.mic_time(words[0].start) - delay - spread
        end = clock.mic_time(words[-1].end) - delay
        pcm = playback.read(start, max(1, round((end - start) * RATE)))
        return float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64)))) > PLAYBACK_AUDIBLE_RMS

    def _playback_delay(self) -> tuple[float, float]:
        """(speaker-to-mic delay, how far earlier it may also be), s: the estimate when it is
        reliable, else 0 with the estimator's whole search range."""
        estimate = self.delay.estimate()
        if estimate is not None and estimate.confidence >= DELAY_RELIABLE:
            return estimate.delay_s, 0.0
        return 0.0, self.delay.max_lag / RATE

    def _echo_verdict(self, hyp: Hypothesis, parsed: ParsedCommand, clock: WordClock,
                      playback: ReferenceBuffer | None, parser: CommandParser,
                      coach: ReferenceDecoder) -> str:
        if not self.echo_check or playback is None:
            return ""
        command = parsed.command
        echo_dbfs, residual_db = self.energy.levels(clock.spans(hyp.words))
        start, end = clock.mic_samples(hyp.words)
        explained = self._explained(start, end, clock.origin, playback)
        coach_text = ""
        # The level tests need no words of the playback: decode them (a second recognizer,
        # ~170 ms of CPU on the decision's path) only for what they leave open.
        if echo_dbfs > self.gate.coach_active_dbfs and explained <= self.gate.max_explained \
                and not is_coach_residual(echo_dbfs, residual_db, self.gate):
            guard = start - round(self.gate.fit_guard_s * RATE)
            context = self._explained(guard - round(self.gate.fit_context_s * RATE), guard,
                                      clock.origin, playback)
            if not fit_clears(explained, context, self.gate):
                coach_text = self._decode_reference(hyp, clock, playback, coach)
        table = parser.table
        phrases = [table.wake] if command == "wake" else \
            [p for p, c in table.phrase_map().items() if c == command]
        if parsed.distress:
            # A cry is the coach's own words ("stop if it hurts") when the coach said each of
            # its distress words then; one the coach did not say is the user's.
            phrases = []
            cry = set(table.distress_words(parsed.text.split()))
            if coach_text and cry <= set(coach_text.split()):
                return f"echo: coach said {' '.join(sorted(cry))!r} ({coach_text!r})"
        evidence = Evidence(echo_dbfs, residual_db, coach_text, explained)
        why = verdict(command, parsed.confidence, evidence, phrases, self.gate,
                      table.min_confidence(command))
        return f"echo: {why}" if why else ""

    def _explained(self, start: int, end: int, origin: float, playback: ReferenceBuffer
                   ) -> float:
        """Share of the raw mic energy of samples ``start:end`` (mic clock, sample 0 at
        ``origin``) the playback explains (echo_fit.py)."""
        if end <= start or not self.mic.holds(start, end):
            return 0.0
        late, early = self.delay.max_lag, round(ECHO_LEAD_S * RATE)
        ref = playback.read(origin + (start - late - TAPS) / RATE,
                            end - start + late + early + 2 * TAPS)
        if float(np.max(np.abs(ref), initial=0.0)) < 1e-3:
            return 0.0
        return echo_share(self.mic.read(start, end), ref, late, early)

    def _decode_reference(self, hyp: Hypothesis, clock: WordClock, playback: ReferenceBuffer,
                          coach: ReferenceDecoder) -> str:
        delay, spread = self._playback_delay()
        start = clock.mic_time(hyp.start) - delay - spread - self.gate.reference_margin_s
        end = clock.mic_time(hyp.end) - delay + self.gate.reference_margin_s
        pcm = playback.read(start, max(0, round((end - start) * RATE)))
        if float(np.max(np.abs(pcm), initial=0.0)) < 1e-3:
            return ""
        # Only the coach's words that were heard at the same time as the command count.
        slack = spread + REFERENCE_SLACK_S
        keep = (clock.mic_time(hyp.words[0].start) - delay - start - slack,
                clock.mic_time(hyp.words[-1].end) - delay - start + REFERENCE_SLACK_S)
        return coach.decode(pcm, keep)
