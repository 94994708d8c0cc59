"""PocketSphinx's search over one utterance at a time, restricted to a phrase table.

The language model is built at start-up from the phrase table: whole command phrases plus
runs of ordinary garbage words, so "stop if it hurts" decodes as itself (and the parser
rejects it for its extra words) instead of being forced into "stop". The endpointer
(sphinx_engine.py) says where utterances open and close; this decoder says what was said,
whether its running best path already holds a whole phrase (an early end), and decodes an
utterance a second time from a later start when asked.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from voice_coach.audio import LISTEN_RATE as SAMPLE_RATE
from voice_coach.commands import COSTLY_COMMANDS, normalize
from voice_coach.errors import UserError
from voice_coach.listen.engines.base import Hypothesis, Word
from voice_coach.listen.engines.sphinx_phones import PhoneTail, ending_classes
from voice_coach.listen.phrases import PhraseTable

if TYPE_CHECKING:
    import pocketsphinx

log = logging.getLogger(__name__)

_ALT_PRONUNCIATION = re.compile(r"\(\d+\)$")
_FILLERS = {"<s>", "</s>", "<sil>", "[noise]", "<unk>"}

PHRASE_REPEATS = 3
"""How many times each phrase appears in the language-model corpus (garbage lines: once)."""
DISCOUNT_MASS = 0.2
"""Share of each seen n-gram's probability that ArpaBoLM gives to backoff (its default 0.5):
backoff lets the decoder leave a phrase half-way for garbage words (bench/LISTENING.md)."""
LANGUAGE_WEIGHTS = {"lw": 8.0, "fwdflatlw": 10.0, "bestpathlw": 11.0}
"""Language-model weights of the three search passes (PocketSphinx's defaults 6.5 / 8.5 / 9.5
are for large vocabularies): the small phrase model deserves more trust (bench/LISTENING.md)."""
EARLY_SILENCE_FRAMES = 4
"""Feature frames (0.04 s) of sentence end after a whole phrase of the table, in the running
best path, that end an utterance before the endpointer does (bench/LISTENING.md)."""
COSTLY_EARLY_SILENCE_FRAMES = 8
"""The same for phrases of COSTLY_COMMANDS (0.08 s): a comma pause after "next" in "next, roll
onto your side" must not end the sentence, since mistaking it costs the user their place."""
NBEST_READINGS = 12
"""N-best entries read after each utterance for other readings (the list repeats a text
with other fillers and pronunciations; reading it costs 0.1-1 ms per utterance)."""
FRAME_SHIFT_S = 1.0 / 100
"""PocketSphinx's feature frames: 100 per second."""
FEED_SAMPLES = 1600
"""Most samples (0.1 s) given to PocketSphinx in one call: it holds Python's GIL for the whole
call, and a whole utterance decoded at once starved the sound card's callback (bench/LIVE.md)."""


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
    phrase table's words, which makes a recognizer start ten times faster."""
    found: set[str] = set()
    with full.open(encoding="utf-8", errors="replace") as src, out.open("w") as dst:
        for line in src:
            word = _ALT_PRONUNCIATION.sub("", line.split(" ", 1)[0])
            if word in words:
                dst.write(line)
                found.add(word)
    return found


def _phone_tail(model_dir: Path | None) -> PhoneTail | None:
    try:
        return PhoneTail(model_dir)
    except (RuntimeError, OSError) as error:  # e.g. a model without these phones
        log.warning("wake phrase: no phone check (%s); its confidence floor decides", error)
        return None


def _with_article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _sentence_end_frames(segs: list[pocketsphinx.Segment]) -> int:
    """Feature frames of the sentence end ("</s>") that closes a best path, 0 if it is open."""
    if not segs or segs[-1].word != "</s>":
        return 0
    return segs[-1].end_frame - segs[-1].start_frame + 1


class PhraseDecoder:
    """One utterance at a time: ``start`` it with its first frames, ``feed`` the rest, ask
    ``phrase_end`` for an early end, ``finish`` it (or ``abort``)."""

    def __init__(self, table: PhraseTable, model_dir: Path | None = None,
                 repeats: int = PHRASE_REPEATS, *, check_wake: bool = False) -> None:
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
        # No early end for the wake phrase: its phone check must hear how the speech ends
        # ("Hey Co|dy" cut after the "d" sounds like "coach").
        del self._early_frames[table.wake]
        self._decoder.activate_search("listen")
        self._wake = table.wake
        self._wake_ends = ending_classes(self._decoder, table.wake.split()[-1])
        # Loaded here, not at the first wake phrase: loading holds the GIL for a moment.
        self._tail = _phone_tail(model_dir) if check_wake and self._wake_ends else None
        self._frames: list[bytes] = []  # the utterance so far, look-back included
        self._start = 0.0  # stream time of its first frame
        self._active = False
        self._cmn_start: object = None  # the cepstral mean the utterance started from
        self._tried = False  # whether the utterance was finished once on trial
        self._tried_finish: Hypothesis | None = None  # that trial's phrase, to be returned
        self._now = 0.0  # the endpointer's stream time, for Hypothesis.decided

    @property
    def frame_count(self) -> int:
        """VAD frames of the utterance so far."""
        return len(self._frames)

    def start(self, frames: list[bytes], start: float) -> None:
        """Open an utterance that began at stream time ``start`` with ``frames``."""
        # set_cmn keeps the mean but resets how much history it weighs: done before every
        # utterance, the second decode's restore below leaves no trace on later ones.
        self._cmn_start = self._decoder.get_cmn(False)
        self._decoder.set_cmn(self._cmn_start)
        self._tried = False
        self._decoder.start_utt()
        self._active = True
        self._start = start
        self._frames = list(frames)
        self._process(self._frames)

    def feed(self, frame: bytes) -> None:
        self._decoder.process_raw(frame)
        self._frames.append(frame)

    def phrase_end(self) -> float | None:
        """Stream time at which a whole phrase of the table ended, when the running best path
        is that phrase followed by its EARLY_SILENCE_FRAMES of sentence end; else None (and,
        when the path closed something else, a trial finish: ``take_trial``)."""
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
        end = self._start + segs[-1].start_frame * FRAME_SHIFT_S
        if needed is None:
            if closed >= EARLY_SILENCE_FRAMES:
                self._try_finish(end)
            return None
        return end if closed >= needed else None

    def take_trial(self) -> Hypothesis | None:
        """The phrase a trial finish found (the utterance is then over), once."""
        hyp, self._tried_finish = self._tried_finish, None
        if hyp is not None:
            self._active = False
        return hyp

    def finish(self, end: float, late: int | None, frame_samples: int) -> Hypothesis | None:
        """End the utterance at stream time ``end``. When the closing signal would have opened
        it ``late`` frames later, decode it again from there (``Hypothesis.alternative``)."""
        self._decoder.end_utt()
        self._active = False
        hyp = self._result(self._start, end)
        if hyp is None or late is None:
            return hyp
        # The second decode must not move the cepstral mean the next utterance starts from.
        cmn = self._decoder.get_cmn(False)
        self._decoder.start_utt()
        self._process(self._frames[late:])
        self._decoder.end_utt()
        alternative = self._result(self._start + late * frame_samples / SAMPLE_RATE, end)
        self._decoder.set_cmn(cmn)
        return replace(hyp, alternative=alternative)

    def abort(self) -> None:
        if self._active:
            self._decoder.end_utt()
            self._active = False
        self._frames = []
        self._tried_finish = None

    def at(self, now: float) -> None:
        """The endpointer's stream time, stamped on hypotheses as when they were decided."""
        self._now = now

    def _try_finish(self, end: float) -> None:
        """The running best path lags the final search: "from the </s>" while the final
        result is "from the beginning". Once per utterance, finish it here; when the result
        is a whole phrase (held as long as the phrase needs), keep it for ``take_trial``,
        else decode the utterance again from its start and go on."""
        if self._tried:
            return
        self._tried = True
        self._decoder.end_utt()
        hyp = self._result(self._start, end)
        segs = list(self._decoder.seg() or ())
        needed = self._early_frames.get(hyp.text) if hyp is not None else None
        if needed is not None and _sentence_end_frames(segs) >= needed:
            self._tried_finish = hyp
            self._active = False
            return
        # From the same cepstral mean; not bit-exact, as the front end's noise tracking has
        # moved on (bench/LISTENING.md).
        self._decoder.set_cmn(self._cmn_start)
        self._decoder.start_utt()
        self._process(self._frames)

    def _process(self, frames: list[bytes]) -> None:
        """Decode ``frames`` (16-bit PCM) in calls of at most FEED_SAMPLES."""
        data = b"".join(frames)
        step = 2 * FEED_SAMPLES
        for k in range(0, len(data), step):
            self._decoder.process_raw(data[k:k + step])

    def _result(self, start: float, end: float) -> Hypothesis | None:
        """The decoder's last finished utterance as a hypothesis; it began at ``start``."""
        words = []
        # seg() is None when the search kept no hypothesis at all (seen on bursts of noise).
        for seg in self._decoder.seg() or ():
            word = _ALT_PRONUNCIATION.sub("", seg.word).lower()
            if word in _FILLERS or word.startswith("++") or word.startswith("["):
                continue
            words.append(Word(word=normalize(word), confidence=float(seg.prob),
                              start=start + seg.start_frame * FRAME_SHIFT_S,
                              end=start + (seg.end_frame + 1) * FRAME_SHIFT_S))
        if not words:
            return None
        text = " ".join(w.word for w in words)
        # The final search may place the last word's end past where the running one ended it.
        return Hypothesis(text=text, words=tuple(words), start=start,
                          end=max(end, words[-1].end), decided=self._now,
                          readings=self._readings(text), wake_check=self._check_wake(words))

    def _check_wake(self, words: list[Word]) -> Callable[[], str] | None:
        """Hypothesis.wake_check for ``words`` (sphinx_phones.py); None when they do not
        begin with the wake phrase or this decoder does not check it."""
        n = len(self._wake.split())
        tail = self._tail
        if tail is None or " ".join(w.word for w in words[:n]) != self._wake:
            return None
        pcm = b"".join(self._frames)
        if len(words) > n:  # up to the next word: a final "ch" sounds on past the word's end
            pcm = pcm[:max(0, 2 * round((words[n].start - self._start) * SAMPLE_RATE))]
        word, ends = self._wake.split()[-1], self._wake_ends
        cmn = str(self._cmn_start) if self._cmn_start is not None else None  # as it began

        def check() -> str:
            heard = tail.last_class(pcm, cmn)
            if heard in ends:
                return ""
            expected = " or ".join(_with_article(c) for c in sorted(ends))
            return (f"the speech ends in {_with_article(heard) if heard else 'silence'}, "
                    f"{word!r} in {expected}")
        return check

    def _readings(self, best: str) -> tuple[str, ...]:
        """The N-best list of the utterance just finished, as distinct normalized texts other
        than ``best``, best first (for the parser's close-call rule)."""
        out: list[str] = []
        for i, entry in enumerate(self._decoder.nbest() or ()):
            if i >= NBEST_READINGS or entry is None:
                break
            words = (_ALT_PRONUNCIATION.sub("", w).lower() for w in entry.hypstr.split())
            text = normalize(" ".join(w for w in words
                                      if w not in _FILLERS and w[:1] not in "[+"))
            if text and text != best and text not in out:
                out.append(text)
        return tuple(out)
