"""The listener's decision stage: hypotheses and template spots in, ``Heard`` out.

Each hypothesis goes through the mode's strict parser (parser.py), the spotter's review when
the user has a voice profile (personal/fusion.py), and the checks that the words were the
user's, said on their own (accept/acceptance.py); a phrase the templates heard alone goes
through the same checks. What fails is logged with why and kept in ``rejections``.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.accept.acceptance import Acceptance, WordClock
from voice_coach.listen.accept.echo_gate import ReferenceDecoder
from voice_coach.listen.echo.reference import ReferenceBuffer
from voice_coach.listen.engines.base import Hypothesis, Recognizer, Word
from voice_coach.listen.parser import CommandParser, ParsedCommand
from voice_coach.listen.spotting import Spot, Spotter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Heard:
    """A command the listener accepted."""

    command: str
    """Canonical command ("pause", ...), "wake", or a choice key in choice mode."""
    time: float
    """Mic-stream seconds at which the listener decided (end of the block that decided)."""
    text: str
    """What the recognizer heard (normalized words)."""
    confidence: float
    """0..1: the lowest word confidence of the phrase (of a distress pause: its distress
    word's)."""
    distress: bool = False
    """A "pause" for a distress word inside the utterance (parser.py), not a whole phrase."""
    source: str = "recognizer"
    """"recognizer", "templates" (the user's enrolled takes alone) or "overruled" (the
    recognizer heard another command; the takes heard this one)."""


@dataclass
class Decoder:
    """A recognizer with its parser, and where its clock sits on the listener's clock."""

    recognizer: Recognizer
    parser: CommandParser
    reference: ReferenceDecoder
    offset: int = 0
    """Listener sample index (cleaned clock) of the recognizer's time 0."""


class Decider:
    """Decides for a Listener (see the module docstring)."""

    def __init__(self, accept: Acceptance, latency: int,
                 rejections: deque[tuple[float, str, str]]) -> None:
        self._accept = accept
        self._latency = latency
        """Samples by which the cleaned signal runs behind the mic."""
        self.rejections = rejections
        """(time, command, why) of parsed commands the checks rejected (the Listener's)."""

    def hypotheses(self, hyps: list[Hypothesis], now: float, decoder: Decoder, origin: float,
                   ref: ReferenceBuffer | None, spotter: Spotter | None) -> list[Heard]:
        """The recognizer's ``hyps`` decided at listener time ``now``: parsed, reviewed by the
        spotter, judged; what passed (the rest logged and kept in ``rejections``)."""
        out = []
        clock = WordClock(origin, decoder.offset, self._latency)
        for hyp in hyps:
            parsed = decoder.parser.parse(hyp)
            why = decoder.parser.last_rejection
            if parsed is None and hyp.alternative is not None:
                # Opened early on the coach's residual, the utterance may have decoded as
                # "garbage + command"; from where the closing signal opens it, as the command.
                parsed = decoder.parser.parse(hyp.alternative)
                hyp = hyp if parsed is None else hyp.alternative
            if parsed is None:
                log.debug("%.2f s: not a command: %s (%s)", clock.mic_time(hyp.end), hyp.text,
                          why)
                self._accept.not_a_command(hyp, clock, ref)
                if spotter is not None and hyp.words:
                    spotter.other_speech(*clock.samples(hyp.words))
                continue
            source = "recognizer"
            if spotter is not None:
                review = spotter.review(parsed.command, *clock.samples(hyp.words),
                                             safe=parsed.command in ("pause", "stop")
                                             or parsed.distress)
                if review.command is None:
                    log.info("%.2f s: dropped %r (%s): %s", clock.mic_time(hyp.end),
                             parsed.command, hyp.text, review.why)
                    self.rejections.append((now, parsed.command, review.why))
                    continue
                if review.command != parsed.command:
                    log.info("%.2f s: %r (%s) taken for %r: %s", clock.mic_time(hyp.end),
                             parsed.command, hyp.text, review.command, review.why)
                    parsed, source = replace(parsed, command=review.command), "overruled"
            judged = self._accept.judge(hyp, parsed, clock, ref, decoder.parser,
                                        decoder.reference)
            if isinstance(judged, str):
                log.info("%.2f s: rejected %r (%s): %s", clock.mic_time(hyp.end), parsed.command,
                         hyp.text, judged)
                self.rejections.append((now, parsed.command, judged))
                continue
            out.append(Heard(judged.command, now, judged.text, judged.confidence,
                             judged.distress, source))
        return out

    def spotted(self, spot: Spot, now: float, decoder: Decoder, origin: float,
                ref: ReferenceBuffer | None) -> Heard | None:
        """A phrase the templates heard alone, through the same checks as a recognized one."""
        clock = WordClock(origin, decoder.offset, self._latency)
        start, end = ((s - decoder.offset) / RATE for s in (spot.start, spot.end))
        confidence = max(0.0, 1.0 - spot.score)
        hyp = Hypothesis(spot.phrase, (Word(spot.phrase, confidence, start, end),), start, end,
                         end)
        parsed = ParsedCommand(spot.command, confidence, spot.phrase, end)
        judged = self._accept.judge(hyp, parsed, clock, ref, decoder.parser,
                                    decoder.reference)
        if isinstance(judged, str):
            log.info("%.2f s: rejected %r (templates, %.2f): %s", clock.mic_time(end),
                     spot.command, spot.score, judged)
            self.rejections.append((now, spot.command, judged))
            return None
        log.info("%.2f s: %r heard on the user's takes (%.2f, margin %.2f)",
                 clock.mic_time(end), spot.command, spot.score, spot.margin)
        return Heard(judged.command, now, spot.phrase, confidence, judged.distress, "templates")
