"""PocketSphinx 5 engine: an endpointer that cuts the stream into utterances around the
phrase decoder (sphinx_decoder.py), with the bundled US-English model.

PocketSphinx's WebRTC-style VAD opens an utterance (with a look-back) and closes it after
END_FRAMES of non-speech, or sooner when the decoder's running best path is a whole phrase
and the decoded signal has gone quiet (EARLY_QUIET_*): the VAD goes on hearing the room's
reverberation after the last word. Between utterances the VAD may hear another signal than
within them (the listener's onset signal: it keeps the start of a quiet voice over the coach
that the closing signal hides); an utterance the onset signal opened sooner than the closing
signal would have is decoded a second time from that later start (``Hypothesis.alternative``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voice_coach.audio import LISTEN_RATE as SAMPLE_RATE
from voice_coach.listen.engines.base import Hypothesis, as_int16
from voice_coach.listen.engines.sphinx_decoder import PHRASE_REPEATS, PhraseDecoder
from voice_coach.listen.phrases import PhraseTable

if TYPE_CHECKING:
    import pocketsphinx

FRAME_SECONDS = 0.03
"""Voice-activity frame length, s."""
LOOKBACK_FRAMES = 10
"""Frames kept before an utterance starts (0.3 s) and fed to the decoder with it."""
START_FRAMES = 5
"""Voiced frames among the last LOOKBACK_FRAMES that open an utterance."""
END_FRAMES = 8
"""Consecutive unvoiced frames (0.24 s) that close an utterance: the endpoint delay."""
LATE_START_MIN_FRAMES = 3
"""VAD frames (0.09 s) by which the closing signal must open an utterance later than the onset
signal did for the utterance to be decoded again from there (bench/LISTENING.md)."""
EARLY_QUIET_FRAMES = 5
"""VAD frames (0.15 s) of the decoded signal that must all be EARLY_QUIET_DB below the
utterance's loudest frame for it to end early: the best path ends the sentence for a moment
while the next word is already spoken ("go back | to the starting position")."""
EARLY_QUIET_DB = 20.0
"""How far below its loudest frame the decoded signal must have fallen, dB."""
EARLY_TAIL_FRAMES = 10
"""After an early end, voiced VAD frames (up to 0.3 s, until the first unvoiced one) that
count as unvoiced: the reverberation the early end went ahead of opens no utterance."""
MAX_UTTERANCE = 8.0
"""Seconds; a longer utterance is cut (coach speech running on)."""


class SphinxRecognizer:
    """Streaming PocketSphinx recognizer for one phrase table (English model)."""

    def __init__(self, table: PhraseTable, model_dir: Path | None = None,
                 repeats: int = PHRASE_REPEATS, *, check_wake: bool = False) -> None:
        import pocketsphinx  # lazy: native library

        self._decoder = PhraseDecoder(table, model_dir, repeats, check_wake=check_wake)
        self._tail = 0  # VAD frames of an early-ended utterance's tail still to be ignored
        self._vad = pocketsphinx.Vad(pocketsphinx.Vad.LOOSE, SAMPLE_RATE, FRAME_SECONDS)
        # Where the closing signal alone would open utterances: its own VAD, always on it.
        self._closing_vad = pocketsphinx.Vad(pocketsphinx.Vad.LOOSE, SAMPLE_RATE, FRAME_SECONDS)
        self._frame = self._vad.frame_bytes // 2
        self._recent: deque[tuple[bytes, bool]] = deque(maxlen=LOOKBACK_FRAMES)
        self._levels: deque[float] = deque(maxlen=EARLY_QUIET_FRAMES)  # decoded signal
        self._peak = 0.0  # loudest decoded frame of the utterance so far
        self._closing_recent: deque[bool] = deque(maxlen=LOOKBACK_FRAMES)
        self._late_start: int | None = None  # frame where the closing signal would open it
        self._silent = 0  # non-speech frames since the last speech frame
        self._dither = np.random.default_rng(0).integers(-4, 5, self._frame, dtype=np.int32)
        self._pending = np.zeros(0, dtype=np.int16)
        self._pending_vad = np.zeros(0, dtype=np.int16)
        self._pending_onset = np.zeros(0, dtype=np.int16)
        self._samples = 0  # samples handed to the endpointer so far
        self._in_utt = False
        self._utt_start = 0.0
        self._last_end = 0.0  # stream time the last hypothesis's last word ended

    @property
    def time(self) -> float:
        """Seconds of audio consumed since the stream began."""
        return self._samples / SAMPLE_RATE

    def accept(self, pcm16: np.ndarray, vad16: np.ndarray | None = None,
               onset16: np.ndarray | None = None) -> list[Hypothesis]:
        """Decode ``pcm16``. Utterances close on ``vad16`` (the same stretch of a signal where
        only the user's voice stands out) when given, else on ``pcm16``; they open on
        ``onset16`` when given, else on the closing signal."""
        pcm = as_int16(pcm16)
        gate = pcm if vad16 is None else as_int16(vad16)
        opening = gate if onset16 is None else as_int16(onset16)
        if len(gate) != len(pcm) or len(opening) != len(pcm):
            raise ValueError("vad16 and onset16 must be as long as pcm16")
        data = np.concatenate([self._pending, pcm])
        gate = np.concatenate([self._pending_vad, gate])
        opening = np.concatenate([self._pending_onset, opening])
        out: list[Hypothesis] = []
        n = len(data) // self._frame * self._frame
        for i in range(0, n, self._frame):
            s = slice(i, i + self._frame)
            hyp = self._fresh(self._frame_in(data[s].tobytes(), opening[s], gate[s]))
            if hyp is not None:
                out.append(hyp)
        self._pending, self._pending_vad, self._pending_onset = data[n:], gate[n:], opening[n:]
        return out

    def flush(self) -> list[Hypothesis]:
        self._pending = self._pending_vad = self._pending_onset = np.zeros(0, dtype=np.int16)
        if not self._in_utt:
            return []
        self._in_utt = False
        hyp = self._fresh(self._finish(self.time - self._silent * self._frame / SAMPLE_RATE))
        return [hyp] if hyp is not None else []

    def reset(self) -> None:
        self._decoder.abort()
        self._in_utt = False
        self._tail = 0
        self._pending = self._pending_vad = self._pending_onset = np.zeros(0, dtype=np.int16)

    def _frame_in(self, frame: bytes, opening: np.ndarray, closing: np.ndarray
                  ) -> Hypothesis | None:
        """One VAD frame of the decoded signal, with the same frame of the onset and closing
        signals. One VAD hears the onset signal between utterances and the closing signal
        within them: its hangover carries an utterance opened on the onset signal over the
        first frames of the closing signal, which may not hear the voice yet."""
        self._samples += self._frame
        self._decoder.at(self.time)
        voiced = self._is_speech(self._vad, closing if self._in_utt else opening)
        if self._tail:  # the room's echo of the words just decided opens no utterance
            self._tail = self._tail - 1 if voiced else 0
            voiced = False
        self._recent.append((frame, voiced))
        self._closing_recent.append(self._is_speech(self._closing_vad, closing))
        level = float(np.mean(np.square(np.frombuffer(frame, np.int16), dtype=np.float64)))
        self._levels.append(level)
        closing_opens = sum(self._closing_recent) >= START_FRAMES
        if not self._in_utt:
            if sum(flag for _, flag in self._recent) < START_FRAMES:
                return None
            # Start with the look-back window so the first phoneme is not cut.
            self._in_utt = True
            self._utt_start = self.time - len(self._recent) * self._frame / SAMPLE_RATE
            self._decoder.start([f for f, _ in self._recent], self._utt_start)
            self._peak = max(self._levels)
            self._late_start = 0 if closing_opens else None
            self._silent = 0
            return None
        self._decoder.feed(frame)
        self._peak = max(self._peak, level)
        if self._late_start is None and closing_opens:
            self._late_start = max(0, self._decoder.frame_count - len(self._closing_recent))
        self._silent = 0 if self._recent[-1][1] else self._silent + 1
        if self._silent >= END_FRAMES:
            self._in_utt = False
            return self._finish(self.time - self._silent * self._frame / SAMPLE_RATE)
        early_end = self._phrase_said()
        if early_end is not None:
            self._in_utt = False
            self._tail = EARLY_TAIL_FRAMES
            return self._finish(early_end)
        tried = self._decoder.take_trial()
        if tried is not None:
            self._in_utt = False
            self._tail = EARLY_TAIL_FRAMES
            return tried
        if self.time - self._utt_start > MAX_UTTERANCE:
            self._in_utt = False
            return self._finish(self.time)
        return None

    def _phrase_said(self) -> float | None:
        """The decoder's early end (``PhraseDecoder.phrase_end``), asked only once the decoded
        signal has gone quiet (EARLY_QUIET_*): the running best path is read only in the quiet
        frames after a word."""
        if max(self._levels) > self._peak * 10 ** (-EARLY_QUIET_DB / 10):
            return None
        return self._decoder.phrase_end()

    def _is_speech(self, vad: pocketsphinx.Vad, frame: np.ndarray) -> bool:
        # PocketSphinx's VAD can latch "speech" on digital silence (exact zeros, as from a
        # WAV file or a muted mic); a few LSB of fixed dither keep it honest.
        samples = frame.astype(np.int32) + self._dither
        return bool(vad.is_speech(np.clip(samples, -32768, 32767).astype(np.int16).tobytes()))

    def _fresh(self, hyp: Hypothesis | None) -> Hypothesis | None:
        """``hyp`` without the words the last hypothesis already held: an utterance opens
        with LOOKBACK_FRAMES of look-back, which can hold the end of the previous one, and its
        last sounds decode again as a word of their own ("continue" | "ow", "next" | "stop").
        A word that starts before the last one ended is that: no one starts a new word
        before the last has ended."""
        if hyp is None:
            return None
        done = self._last_end
        fresh = _starting_from(hyp, done)
        if fresh is not None and fresh.words:
            self._last_end = fresh.words[-1].end
        if fresh is None or fresh is hyp:
            return fresh
        return replace(fresh, alternative=_starting_from(hyp.alternative, done))

    def _finish(self, end: float) -> Hypothesis | None:
        late = self._late_start
        second = late if late is not None and late >= LATE_START_MIN_FRAMES else None
        return self._decoder.finish(end, second, self._frame)


def _starting_from(hyp: Hypothesis | None, done: float) -> Hypothesis | None:
    """``hyp`` with only its words that start at ``done`` or later (None when none do)."""
    if hyp is None:
        return None
    words = tuple(w for w in hyp.words if w.start >= done)
    if len(words) == len(hyp.words):
        return hyp
    return replace(hyp, text=" ".join(w.word for w in words), words=words,
                   start=max(hyp.start, words[0].start)) if words else None
