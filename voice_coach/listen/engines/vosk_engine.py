"""Vosk (Kaldi) engine: grammar of the table's phrases plus a garbage path.

The grammar is a JSON list: every phrase, every garbage word and, when the model has one,
its unknown-word symbol ("[unk]" in most models). The small Korean model has no "[unk]"
(vosk-api #2041), so there the garbage words are the whole garbage path. Phrase words
missing from the model's vocabulary are an error: Vosk would silently drop them.
"""

from __future__ import annotations

import json
import logging
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from voice_coach.audio import LISTEN_RATE as SAMPLE_RATE
from voice_coach.commands import normalize
from voice_coach.errors import UserError
from voice_coach.listen.engines.base import Hypothesis, Word, as_int16
from voice_coach.listen.phrases import PhraseTable

log = logging.getLogger(__name__)

UNKNOWN_WORDS = ("[unk]", "<UNK>")
_SYMBOL_TABLE_MAGIC = struct.pack("<i", 2125658996)  # OpenFst SymbolTable header


def model_vocabulary(model_dir: Path) -> frozenset[str]:
    """Words the model can recognize: graph/words.txt, else the symbols stored in Gr.fst."""
    return _vocabulary(str(Path(model_dir).resolve()))


@lru_cache(maxsize=4)
def _vocabulary(model_dir: str) -> frozenset[str]:
    root = Path(model_dir)
    for words_txt in (root / "graph" / "words.txt", root / "words.txt"):
        if words_txt.is_file():
            lines = words_txt.read_text(encoding="utf-8").splitlines()
            return frozenset(line.split()[0] for line in lines if line.strip())
    gr = root / "graph" / "Gr.fst"
    if gr.is_file():
        return _fst_output_symbols(gr)
    return frozenset()


def _fst_output_symbols(path: Path) -> frozenset[str]:
    """Read the symbol table OpenFst embeds in the header of a Vosk lookahead Gr.fst."""
    with path.open("rb") as f:
        head = f.read(4096)
        at = head.find(_SYMBOL_TABLE_MAGIC)
        if at < 0:
            return frozenset()
        f.seek(at + 4)
        (name_len,) = struct.unpack("<i", f.read(4))
        f.seek(name_len, 1)
        _available, size = struct.unpack("<qq", f.read(16))
        words = []
        for _ in range(size):
            (n,) = struct.unpack("<i", f.read(4))
            words.append(f.read(n).decode("utf-8", "replace"))
            f.seek(8, 1)  # the symbol's key
    return frozenset(words)


def check_model_dir(model_dir: Path) -> Path:
    model_dir = Path(model_dir)
    if not (model_dir / "am" / "final.mdl").is_file() or not (model_dir / "conf").is_dir():
        raise UserError(f"{model_dir}: not a Vosk model directory (needs am/final.mdl, conf/)")
    return model_dir


PHRASE_REPEATS = 3
"""Copies of each phrase in the grammar list: Vosk counts list entries to build its bigram,
so repeats give commands more prior mass than any single garbage word."""


def grammar(table: PhraseTable, vocabulary: frozenset[str],
            repeats: int = PHRASE_REPEATS) -> list[str]:
    """The JSON grammar list for ``table``; UserError if a command phrase word is unknown.
    Distress phrasings with an unknown word are left out (logged): the commands must work
    with any model, and the distress words the model knows still count anywhere."""
    distress = set(table.distress_phrases())
    phrases = [p for p in table.all_phrases()
               if p not in distress or not vocabulary or set(p.split()) <= vocabulary]
    if vocabulary:
        missing = sorted({w for p in phrases for w in p.split() if w not in vocabulary})
        if missing:
            where = table.path or table.language
            raise UserError(f"{where}: words not in the Vosk model vocabulary: "
                            f"{' '.join(missing)}")
    if dropped := sorted(distress - set(phrases)):
        log.warning("distress phrasings the Vosk model cannot say, not listened for: %s",
                    ", ".join(dropped))
    garbage = [w for w in table.garbage if not vocabulary or w in vocabulary]
    unknown = [w for w in UNKNOWN_WORDS if w in vocabulary][:1]
    return [*phrases * repeats, *garbage, *unknown]


class VoskRecognizer:
    """Streaming Vosk recognizer restricted to one phrase table."""

    def __init__(self, table: PhraseTable, model_dir: Path,
                 repeats: int = PHRASE_REPEATS) -> None:
        import vosk  # lazy: native library, big model

        model_dir = check_model_dir(model_dir)
        vosk.SetLogLevel(-1)
        self._vocabulary = model_vocabulary(model_dir)
        self._grammar = json.dumps(grammar(table, self._vocabulary, repeats), ensure_ascii=False)
        try:
            self._model = _load_model(str(model_dir.resolve()))
        except Exception as exc:  # vosk raises a bare Exception on a bad model
            raise UserError(f"{model_dir}: cannot load Vosk model ({exc})") from None
        self._samples = 0
        self._new_recognizer()

    def _new_recognizer(self) -> None:
        import vosk

        self._rec = vosk.KaldiRecognizer(self._model, SAMPLE_RATE, self._grammar)
        self._rec.SetWords(True)
        self._offset = self._samples / SAMPLE_RATE  # Vosk's clock restarts with it

    @property
    def time(self) -> float:
        return self._samples / SAMPLE_RATE

    def accept(self, pcm16: np.ndarray, vad16: np.ndarray | None = None,
               onset16: np.ndarray | None = None) -> list[Hypothesis]:
        # Vosk endpoints by itself; the listener ends utterances early with its own VAD.
        data = as_int16(pcm16)
        self._samples += len(data)
        if self._rec.AcceptWaveform(data.tobytes()):
            return self._hypotheses(self._rec.Result())
        return []

    def flush(self) -> list[Hypothesis]:
        return self._hypotheses(self._rec.FinalResult())

    def reset(self) -> None:
        self._new_recognizer()

    def _hypotheses(self, result_json: str) -> list[Hypothesis]:
        result = json.loads(result_json)
        words = tuple(
            Word(word=normalize(item["word"]) or item["word"], confidence=float(item["conf"]),
                 start=self._offset + item["start"], end=self._offset + item["end"])
            for item in result.get("result", [])
        )
        if not words:
            return []
        return [Hypothesis(text=" ".join(w.word for w in words), words=words,
                           start=words[0].start, end=words[-1].end, decided=self.time)]


@lru_cache(maxsize=2)
def _load_model(model_dir: str) -> object:
    import vosk

    return vosk.Model(model_dir)
