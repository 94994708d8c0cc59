"""A second look at a decoded wake phrase: does the speech end in the right kind of sound?

The phrase decoder knows only the phrase table's words, so "Hey Cody." or "Hey Kobe."
said across the room comes out as "hey coach", often with a higher word posterior than
the user's own "hey coach" from bed: the posterior does not tell them apart. A free phone
decode (PocketSphinx's allphone search, no words) of the same speech does, at its end:
"coach" ends in an obstruent (CH), "Cody" and "Kobe" in a vowel. A wake phrase is taken
only when the last phone heard is of the class its last word's pronunciation ends in
(bench/WAKE.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pocketsphinx

VOWELS = frozenset(["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW",
                    "OY", "UH", "UW"])
SONORANTS = frozenset(["L", "M", "N", "NG", "R", "W", "Y"])
"""Consonants with a voice-like, vowel-like spectrum; every other phone is an obstruent."""
NOT_PHONES = frozenset({"SIL", "+NSN+", "+SPN+", "<s>", "</s>"})
"""Silence and noise. Counting spoken noise (+SPN+) as an obstruent heard no more wakes on
bench_wake's held-out calls and twice the false wakes."""
FEED_BYTES = 3200
"""Bytes (0.1 s) per call: the decoder holds Python's GIL for a whole call."""


def phone_class(phone: str) -> str:
    """"vowel", "sonorant" or "obstruent"."""
    if phone in VOWELS:
        return "vowel"
    return "sonorant" if phone in SONORANTS else "obstruent"


class PhoneTail:
    """The class of the last phone in a stretch of speech, by a free phone decode."""

    def __init__(self, model_dir: Path | None = None) -> None:
        import pocketsphinx  # lazy: native library

        default = Path(pocketsphinx.Config()["hmm"])
        phones = default.parent / "en-us-phone.lm.bin"
        self._decoder: pocketsphinx.Decoder = pocketsphinx.Decoder(
            loglevel="FATAL", lm=None, bestpath=False, allphone=str(phones),
            hmm=str(model_dir or default))

    def last_class(self, pcm: bytes, cmn: str | None = None) -> str | None:
        """Class of the last phone decoded in ``pcm`` (16 kHz int16), None if none.
        ``cmn``: the cepstral mean to start from (PocketSphinx's ``get_cmn``), e.g. the
        phrase decoder's, which has heard the room all along; else this decoder's own, which
        depends on what it happened to decode before."""
        d = self._decoder
        if cmn is not None:
            d.set_cmn(cmn)
        d.start_utt()
        for k in range(0, len(pcm), FEED_BYTES):
            d.process_raw(pcm[k:k + FEED_BYTES])
        d.end_utt()
        phones = [s.word for s in d.seg() or () if s.word not in NOT_PHONES]
        return phone_class(phones[-1]) if phones else None


def ending_classes(decoder: pocketsphinx.Decoder, word: str) -> frozenset[str]:
    """Classes of the last phone of every pronunciation ``decoder`` has for ``word``."""
    found = set()
    for key in [word] + [f"{word}({n})" for n in range(2, 10)]:
        spelled = decoder.lookup_word(key)
        if spelled:
            found.add(phone_class(spelled.split()[-1]))
    return frozenset(found)
