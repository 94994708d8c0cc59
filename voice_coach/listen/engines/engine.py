"""Which recognizer to build, and which words it can know: one value the Listener can ask
for a fresh recognizer per phrase table (session commands, routine choices, echo checks)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from voice_coach.listen.engines.base import Recognizer
from voice_coach.listen.phrases import PhraseTable


class EngineName(StrEnum):
    VOSK = "vosk"
    POCKETSPHINX = "pocketsphinx"



@dataclass(frozen=True)
class Engine:
    """A recognizer kind plus its model."""

    name: EngineName
    model_dir: Path | None = None
    """Vosk model folder (required for Vosk); PocketSphinx acoustic model (None = bundled)."""

    def __post_init__(self) -> None:
        if self.name not in tuple(EngineName):
            raise ValueError(f"engine must be one of {tuple(EngineName)}, not {self.name!r}")
        object.__setattr__(self, "name", EngineName(self.name))
        if self.name == EngineName.VOSK and self.model_dir is None:
            raise ValueError("the Vosk engine needs a model folder")

    def create(self, table: PhraseTable, *, check_wake: bool = False) -> Recognizer:
        """A new streaming recognizer restricted to ``table``; ``check_wake``: one that
        checks the wake phrase itself where it can (Hypothesis.wake_check)."""
        if self.name == EngineName.VOSK:
            from voice_coach.listen.engines.vosk_engine import VoskRecognizer

            assert self.model_dir is not None
            return VoskRecognizer(table, self.model_dir)
        from voice_coach.listen.engines.sphinx_engine import SphinxRecognizer

        return SphinxRecognizer(table, self.model_dir, check_wake=check_wake)

    def knows(self, word: str) -> bool:
        """True when the model can recognize ``word`` (unknown vocabulary: assume it can)."""
        vocabulary = _vocabulary(self.name, str(self.model_dir or ""))
        return not vocabulary or word in vocabulary

    @property
    def flush_on_vad(self) -> bool:
        """Whether the listener should end utterances itself when its VAD hears silence:
        Vosk's own endpointing waits about a second (see the recognition notes)."""
        return self.name == EngineName.VOSK


@lru_cache(maxsize=4)
def _vocabulary(name: str, model_dir: str) -> frozenset[str]:
    if name == "vosk":
        from voice_coach.listen.engines.vosk_engine import model_vocabulary

        return model_vocabulary(Path(model_dir))
    return _sphinx_dictionary(model_dir)


def _sphinx_dictionary(model_dir: str) -> frozenset[str]:
    import pocketsphinx  # lazy: native library

    # Without a model folder: the dictionary pocketsphinx itself loads (model/en-us/...).
    candidates = (sorted(Path(model_dir).glob("*.dict")) or sorted(Path(model_dir).parent.glob(
        "*.dict"))) if model_dir else [Path(pocketsphinx.Config()["dict"])]
    words: set[str] = set()
    for path in candidates[:1]:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                words.add(line.split()[0].split("(")[0].lower())
    return frozenset(words)
