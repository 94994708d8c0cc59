"""PocketSphinx 5 engine: bundled US-English model, small n-gram model with garbage words.

The language model is built at start-up from the phrase table: whole command phrases plus
runs of ordinary garbage words, so "stop if it hurts" decodes as itself (and the parser
rejects it for its extra words) instead of being forced into "stop". PocketSphinx's
WebRTC-style VAD cuts the stream into utterances; each is decoded while it arrives and
finished at its end (END_FRAMES of non-speech), or sooner when the decoder's running best
path is a whole phrase it has closed and the decoded signal has gone quiet (EARLY_*: the VAD
goes on hearing the room's reverberation after the last word). When the running path has
closed something else there, the utterance is finished once on trial: the final search often
gets the phrase the running one lags behind on ("from the" for "from the beginning"); if it
does not, the utterance is decoded again from its start and goes on. Between utterances the VAD
may hear another signal than within them (the listener's onset signal, onset.py: it keeps
the start of a quiet voice over the coach that the closing signal hides). An utterance the
onset signal opened sooner than the closing signal would have is decoded a second time from
that later start (``Hypothesis.alternative``), for when the early start took in the coach's
residual.
"""

from __future__ import annotations

import re
import tempfile
from collections import deque
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voice_coach.commands import COSTLY_COMMANDS, normalize
from voice_coach.errors import UserError
from voice_coach.listen.engines.base import SAMPLE_RATE, Hypothesis, Word, as_int16
from voice_coach.listen.phrases import PhraseTable

if TYPE_CHECKING:
    import pocketsphinx

_ALT_PRONUNCIATION = re.compile(r"\(\d+\)$")
_FILLERS = {"<s>", "</s>", "<sil>", "[noise]", "<unk>"}

PHRASE_REPEATS = 3
"""How many times each phrase appears in the language-model corpus (garbage lines: once)."""

DISCOUNT_MASS = 0.2
"""Share of each seen n-gram's probability that ArpaBoLM gives to backoff (its default: 0.5).
Backoff is what lets the decoder leave a phrase half-way for garbage words ("next long" for
"next one", "go" for "go on"); the garbage runs have their own n-grams. Measured on the
listening bench (same scenes): commands heard 86.8 -> 88.4 %, at -6 dB over the coach 81.1
-> 84.9 %, still no false command over 30 min of coach, 10 min of talk and 10 min of knocks,
and one in the 40 min of detection scenes (the first words of a coach line after 1.3 s of
silence, "use" before, decoded as "resume"); at 0.1 and 0.05 (88.7, 89.3 %) other people's
talk began to turn into phrases ("next one"). More phrase repeats (PHRASE_REPEATS 6) changed
nothing (86.9 %)."""

FRAME_SECONDS = 0.03
"""Voice-activity frame length, s."""
LOOKBACK_FRAMES = 10
"""Frames kept before an utterance starts (0.3 s) and fed to the decoder with it."""
START_FRAMES = 5
"""Voiced frames among the last LOOKBACK_FRAMES that open an utterance."""
END_FRAMES = 8
"""Consecutive unvoiced frames (0.24 s) that close an utterance: the endpoint delay."""

LANGUAGE_WEIGHTS = {"lw": 8.0, "fwdflatlw": 10.0, "bestpathlw": 11.0}
"""Language-model weights of the three search passes (PocketSphinx's defaults are 6.5 / 8.5 /
9.5, tuned for large vocabularies): the small phrase model deserves more trust. Measured on
the listening bench: commands heard 79.9 % instead of 77.5 %, still no false command over
40 min of coach and talk; at 10 / 12 / 13 other people's sentences began to turn into
phrases ("what can i say")."""

LATE_START_MIN_FRAMES = 3
"""VAD frames (0.09 s) by which the closing signal must open an utterance later than the onset
signal did for the utterance to be decoded again from there. Measured on the listening
bench: commands heard kal 88.4 -> 89.9 %, ked 78.9 -> 80.5 %; at -6 dB over the coach kal
83 -> 87 %, ked 58 -> 64 %; no false command added over coach, talk or knocks, except once
with the coach ducking: a knock decoded "... resume" whose second decode was "resume" (1 frame:
the same detections, more decodes)."""

EARLY_SILENCE_FRAMES = 4
"""Feature frames (0.04 s) of sentence end after a whole phrase of the table, in the decoder's
running best path, that end an utterance before the endpointer does (with the decoded signal
quiet, EARLY_QUIET_*). The endpointer's VAD still hears the room's reverberation and its own
hang-over ~0.2 s after the last word, then waits END_FRAMES more. Measured on the full
listening bench (same scenes): decision latency p50 / p95 480 / 600 ms without early ends,
260 / 400 ms at 6 (12 costly), 220 / 360 ms at 4 (8 costly), 220 / 340 ms with the trial
finish (``_try_finish``), with no false command over coach, talk or knocks; commands heard
83.6 -> 84.4 -> 86.9 -> 86.8 % (reverberation decoded as one more word goes away: "what can
i say that"). At 4 (10) with EARLY_QUIET_DB 15, "keep going straight" from the talk scene
was cut to "keep going"."""
COSTLY_EARLY_SILENCE_FRAMES = 8
"""The same for phrases of COSTLY_COMMANDS (0.08 s): a comma pause after "next" in "next, roll
onto your side" holds the sentence end 0.06-0.13 s (festival voices), and mistaking it
costs the user their place; at 8 the not-commands test (tests/test_listen_engines.py) still
hears that sentence whole, since the quiet condition does not hold in the pause."""
EARLY_QUIET_FRAMES = 5
"""VAD frames (0.15 s) of the decoded signal that must all be EARLY_QUIET_DB below the
utterance's loudest frame for it to end early: the decoder's best path ends the sentence
for 0.1-0.17 s while the next word is already spoken ("go back | to the starting position").
The decoded signal, not the closing one: AEC3's suppressor hides the quiet start of the next
word over the coach ("keep going | straight"); over the coach the linear canceller's residual
keeps the decoded signal from falling this far, so there the endpointer decides as before.
Measured on the listening bench's talk scene: with the closing signal, 5 of other people's
sentences were cut after a phrase ("let's go | to the park"); with the decoded signal, none."""
EARLY_QUIET_DB = 20.0
"""How far below its loudest frame the decoded signal must have fallen, dB."""
EARLY_TAIL_FRAMES = 10
"""After an early end, voiced VAD frames (up to 0.3 s, until the first unvoiced one) that
count as unvoiced: the reverberation and the VAD's hang-over the early end went ahead of
must not open an utterance of their own."""

MAX_UTTERANCE = 8.0
"""Seconds; a longer utterance is cut (coach speech running on)."""


def lm_corpus(table: PhraseTable, repeats: int = PHRASE_REPEATS) -> str:
    """Training text for the small n-gram model: whole phrases, then garbage word runs.

    Garbage words in runs of eight give ordinary speech a path of its own (unigrams and
    backoff), so it is decoded as words the parser rejects, never forced into a command.
    """
    lines = [f"<s> {phrase} </s>" for phrase in table.all_phrases() for _ in range(repeats)]
    garbage = list(table.garbage)
    lines += [f"<s> {' '.join(garbage[i:i + 8])} </s>" for i in range(0, len(garbage), 8)]
    return "\n".join(lines) + "\n"


def build_lm(table: PhraseTable, path: Path, repeats: int = PHRASE_REPEATS) -> None:
    """Write the table's ARPA language model to ``path``."""
    from pocketsphinx.lm import ArpaBoLM

    model = ArpaBoLM(text=lm_corpus(table, repeats), discount_mass=DISCOUNT_MASS)
    model.compute()
    model.write_file(str(path))


def write_dictionary(full: Path, words: AbstractSet[str], out: Path) -> set[str]:
    """Write the lines of pronunciation dictionary ``full`` that spell ``words`` (every
    pronunciation) to ``out``; returns the words found. The decoder then knows only the
    phrase table's words: with the whole 130,000-word dictionary, adding the language model
    took 1.2 s of CPU per recognizer, and the words outside the model are never decoded."""
    found: set[str] = set()
    with full.open(encoding="utf-8", errors="replace") as src, out.open("w") as dst:
        for line in src:
            word = _ALT_PRONUNCIATION.sub("", line.split(" ", 1)[0])
            if word in words:
                dst.write(line)
                found.add(word)
    return found


def _sentence_end_frames(segs: list[pocketsphinx.Segment]) -> int:
    """Feature frames of the sentence end ("</s>") that closes a best path, 0 if it is open."""
    if not segs or segs[-1].word != "</s>":
        return 0
    return segs[-1].end_frame - segs[-1].start_frame + 1


class SphinxRecognizer:
    """Streaming PocketSphinx recognizer for one phrase table (English model)."""

    def __init__(self, table: PhraseTable, model_dir: Path | None = None,
                 repeats: int = PHRASE_REPEATS) -> None:
        import pocketsphinx  # lazy: native library

        # bestpath: word posteriors from the lattice (Segment.prob) serve as confidences.
        options: dict[str, object] = {"loglevel": "FATAL", "bestpath": True,
                                      **LANGUAGE_WEIGHTS}
        if model_dir is not None:
            model_dir = Path(model_dir)
            if not (model_dir / "mdef").is_file():
                raise UserError(f"{model_dir}: not a PocketSphinx acoustic model (no mdef)")
            options["hmm"] = str(model_dir)
        words = table.vocabulary() | set(table.garbage)
        with tempfile.TemporaryDirectory() as tmp:
            small = Path(tmp) / "commands.dict"
            found = write_dictionary(Path(pocketsphinx.Config()["dict"]), words, small)
            missing = sorted(words - found)
            if missing:
                where = table.path or table.language
                raise UserError(f"{where}: words not in the PocketSphinx dictionary: "
                                f"{' '.join(missing)}")
            self._decoder = pocketsphinx.Decoder(lm=None, dict=str(small), **options)
            arpa = Path(tmp) / "commands.arpa"
            build_lm(table, arpa, repeats)
            lm = pocketsphinx.NGramModel(self._decoder.config, self._decoder.get_logmath(),
                                         str(arpa))
        self._decoder.add_lm("listen", lm)
        costly = {p for p, c in table.phrase_map().items() if c in COSTLY_COMMANDS}
        self._early_frames = {p: COSTLY_EARLY_SILENCE_FRAMES if p in costly
                              else EARLY_SILENCE_FRAMES for p in table.all_phrases()}
        self._tail = 0  # VAD frames of an early-ended utterance's tail still to be ignored
        self._decoder.activate_search("listen")
        self._vad = pocketsphinx.Vad(pocketsphinx.Vad.LOOSE, SAMPLE_RATE, FRAME_SECONDS)
        # Where the closing signal alone would open utterances: its own VAD, always on it.
        self._closing_vad = pocketsphinx.Vad(pocketsphinx.Vad.LOOSE, SAMPLE_RATE, FRAME_SECONDS)
        self._frame = self._vad.frame_bytes // 2
        self._recent: deque[tuple[bytes, bool]] = deque(maxlen=LOOKBACK_FRAMES)
        self._levels: deque[float] = deque(maxlen=EARLY_QUIET_FRAMES)  # decoded signal
        self._peak = 0.0  # loudest decoded frame of the utterance so far
        self._closing_recent: deque[bool] = deque(maxlen=LOOKBACK_FRAMES)
        self._utt_frames: list[bytes] = []  # the utterance so far, look-back included
        self._late_start: int | None = None  # frame where the closing signal would open it
        self._silent = 0  # non-speech frames since the last speech frame
        self._dither = np.random.default_rng(0).integers(-4, 5, self._frame, dtype=np.int32)
        self._pending = np.zeros(0, dtype=np.int16)
        self._pending_vad = np.zeros(0, dtype=np.int16)
        self._pending_onset = np.zeros(0, dtype=np.int16)
        self._samples = 0  # samples handed to the endpointer so far
        self._in_utt = False
        self._utt_start = 0.0
        self._cmn_start: object = None  # the cepstral mean the utterance started from
        self._tried = False  # whether the utterance was finished once on trial
        self._tried_finish: Hypothesis | None = None  # that trial's phrase, to be returned
        self._frame_shift = 1.0 / 100  # PocketSphinx feature frames: 100 per second

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
            hyp = self._frame_in(data[s].tobytes(), opening[s], gate[s])
            if hyp is not None:
                out.append(hyp)
        self._pending, self._pending_vad, self._pending_onset = data[n:], gate[n:], opening[n:]
        return out

    def flush(self) -> list[Hypothesis]:
        self._pending = self._pending_vad = self._pending_onset = np.zeros(0, dtype=np.int16)
        if not self._in_utt:
            return []
        self._in_utt = False
        hyp = self._finish(self.time - self._silent * self._frame / SAMPLE_RATE)
        return [hyp] if hyp is not None else []

    def reset(self) -> None:
        if self._in_utt:
            self._decoder.end_utt()
            self._in_utt = False
        self._utt_frames = []
        self._tail = 0
        self._tried_finish = None
        self._pending = self._pending_vad = self._pending_onset = np.zeros(0, dtype=np.int16)

    def _frame_in(self, frame: bytes, opening: np.ndarray, closing: np.ndarray
                  ) -> Hypothesis | None:
        """One VAD frame of the decoded signal, with the same frame of the onset and closing
        signals. One VAD hears the onset signal between utterances and the closing signal
        within them: its hangover carries an utterance opened on the onset signal over the
        first frames of the closing signal, which may not hear the voice yet."""
        self._samples += self._frame
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
            # set_cmn keeps the mean but resets how much history it weighs: done before every
            # utterance, the second decode's restore below leaves no trace on later ones.
            self._cmn_start = self._decoder.get_cmn(False)
            self._decoder.set_cmn(self._cmn_start)
            self._tried = False
            # Start with the look-back window so the first phoneme is not cut.
            self._decoder.start_utt()
            self._in_utt = True
            self._utt_start = self.time - len(self._recent) * self._frame / SAMPLE_RATE
            self._utt_frames = [f for f, _ in self._recent]
            self._peak = max(self._levels)
            self._late_start = 0 if closing_opens else None
            self._decoder.process_raw(b"".join(self._utt_frames))
            self._silent = 0
            return None
        self._decoder.process_raw(frame)
        self._utt_frames.append(frame)
        self._peak = max(self._peak, level)
        if self._late_start is None and closing_opens:
            self._late_start = max(0, len(self._utt_frames) - len(self._closing_recent))
        self._silent = 0 if self._recent[-1][1] else self._silent + 1
        if self._silent >= END_FRAMES:
            self._in_utt = False
            return self._finish(self.time - self._silent * self._frame / SAMPLE_RATE)
        early_end = self._phrase_said()
        if early_end is not None:
            self._in_utt = False
            self._tail = EARLY_TAIL_FRAMES
            return self._finish(early_end)
        if self._tried_finish is not None:
            hyp, self._tried_finish = self._tried_finish, None
            self._in_utt = False
            self._tail = EARLY_TAIL_FRAMES
            return hyp
        if self.time - self._utt_start > MAX_UTTERANCE:
            self._in_utt = False
            return self._finish(self.time)
        return None

    def _phrase_said(self) -> float | None:
        """Stream time at which a whole phrase of the table ended, when the decoded signal has
        gone quiet (EARLY_QUIET_*) and the decoder's running best path is that phrase followed
        by its EARLY_SILENCE_FRAMES of sentence end; else None (and, when the path closed
        something else, ``_try_finish``). The cheap level test comes first: the running best
        path is read only in the quiet frames after a word."""
        if max(self._levels) > self._peak * 10 ** (-EARLY_QUIET_DB / 10):
            return None
        hyp = self._decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return None
        segs = list(self._decoder.seg() or ())
        words = [_ALT_PRONUNCIATION.sub("", s.word).lower() for s in segs]
        words = [w for w in words if w not in _FILLERS and w[:1] not in "[+"]
        needed = self._early_frames.get(normalize(" ".join(words)))
        closed = _sentence_end_frames(segs)
        if not closed:
            return None
        end = self._utt_start + segs[-1].start_frame * self._frame_shift
        if needed is None:
            if closed >= EARLY_SILENCE_FRAMES:
                self._try_finish(end)
            return None
        return end if closed >= needed else None

    def _try_finish(self, end: float) -> None:
        """The running best path lags the final search: "from the </s>" while the final
        result is "from the beginning". Once per utterance, finish it here; when the result
        is a whole phrase (held as long as the phrase needs), keep it in ``_tried_finish``
        for ``_frame_in`` to return, else decode the utterance again from its start and go
        on."""
        if self._tried:
            return
        self._tried = True
        self._decoder.end_utt()
        hyp = self._result(self._utt_start, end)
        segs = list(self._decoder.seg() or ())
        needed = self._early_frames.get(hyp.text) if hyp is not None else None
        if needed is not None and _sentence_end_frames(segs) >= needed:
            self._tried_finish = hyp
            return
        # From the same cepstral mean. Not bit-exact: the front end's noise tracking has moved
        # on (measured on 150 single phrases: a few non-commands decode to other non-commands,
        # whether the frames go in as one piece or as first fed; on the bench, the same
        # detections).
        self._decoder.set_cmn(self._cmn_start)
        self._decoder.start_utt()
        self._decoder.process_raw(b"".join(self._utt_frames))

    def _is_speech(self, vad: pocketsphinx.Vad, frame: np.ndarray) -> bool:
        # PocketSphinx's VAD can latch "speech" on digital silence (exact zeros, as from a
        # WAV file or a muted mic); a few LSB of fixed dither keep it honest.
        samples = frame.astype(np.int32) + self._dither
        return bool(vad.is_speech(np.clip(samples, -32768, 32767).astype(np.int16).tobytes()))

    def _finish(self, end: float) -> Hypothesis | None:
        self._decoder.end_utt()
        hyp = self._result(self._utt_start, end)
        late = self._late_start
        if hyp is None or late is None or late < LATE_START_MIN_FRAMES:
            return hyp
        # The second decode must not move the cepstral mean the next utterance starts from.
        cmn = self._decoder.get_cmn(False)
        self._decoder.start_utt()
        self._decoder.process_raw(b"".join(self._utt_frames[late:]))
        self._decoder.end_utt()
        alternative = self._result(self._utt_start + late * self._frame / SAMPLE_RATE, end)
        self._decoder.set_cmn(cmn)
        return replace(hyp, alternative=alternative)

    def _result(self, start: float, end: float) -> Hypothesis | None:
        """The decoder's last finished utterance as a hypothesis; it began at ``start``."""
        words = []
        # seg() is None when the search kept no hypothesis at all (seen on bursts of noise).
        for seg in self._decoder.seg() or ():
            word = _ALT_PRONUNCIATION.sub("", seg.word).lower()
            if word in _FILLERS or word.startswith("++") or word.startswith("["):
                continue
            words.append(Word(word=normalize(word), confidence=float(seg.prob),
                              start=start + seg.start_frame * self._frame_shift,
                              end=start + (seg.end_frame + 1) * self._frame_shift))
        if not words:
            return None
        # The final search may place the last word's end past where the running one ended it.
        return Hypothesis(text=" ".join(w.word for w in words), words=tuple(words),
                          start=start, end=max(end, words[-1].end), decided=self.time)
