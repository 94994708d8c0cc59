"""The wake phrase's phone check (listen/engines/sphinx_phones.py) on real speech."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from voice_coach.listen.engines.base import Hypothesis, Word, as_int16
from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.engines.sphinx_phones import PhoneTail, ending_classes, phone_class
from voice_coach.listen.listener import Heard, Listener
from voice_coach.listen.parser import CommandParser
from voice_coach.listen.phrases import load_language
from voice_coach.sim.speakers import UserVoices

RATE = 16000
BLOCK = 320


def at_level(pcm: np.ndarray, dbfs: float = -26.0) -> np.ndarray:
    rms = float(np.sqrt(np.mean(pcm[np.abs(pcm) > 1e-3] ** 2)))
    return (pcm * (10 ** (dbfs / 20) / rms)).astype(np.float32)


def wake_listen(pcm: np.ndarray, caplog: pytest.LogCaptureFixture) -> tuple[list[Heard], str]:
    """``pcm`` said in a quiet room to a listener in wake mode: what it obeyed, and the
    reasons it gave for what it did not."""
    listener = Listener(Engine("pocketsphinx"), load_language("en"))
    listener.set_mode("wake")
    pad = np.zeros(RATE, np.float32)
    mic = np.concatenate([pad, at_level(pcm), pad, pad])
    heard: list[Heard] = []
    with caplog.at_level(logging.DEBUG, logger="voice_coach.listen"):
        for k in range(len(mic) // BLOCK):
            listener.add_reference(np.zeros(441, np.float32), k * BLOCK / RATE, 22050)
            heard += listener.process(mic[k * BLOCK:(k + 1) * BLOCK], k * BLOCK / RATE)
        heard += listener.flush()
    return heard, caplog.text


def test_phone_classes_of_the_wake_word() -> None:
    import pocketsphinx

    decoder = pocketsphinx.Decoder(loglevel="FATAL", lm=None)
    assert ending_classes(decoder, "coach") == {"obstruent"}
    assert ending_classes(decoder, "hey") == {"vowel"}
    assert ending_classes(decoder, "no-such-word") == set()
    assert [phone_class(p) for p in ("CH", "OW", "N", "S")] == \
        ["obstruent", "vowel", "sonorant", "obstruent"]


def test_the_free_phone_decode_hears_how_a_word_ends(user_voices: UserVoices) -> None:
    tail = PhoneTail()
    assert tail.last_class(as_int16(user_voices.say("hey coach", "festival:kal")).tobytes()) \
        == "obstruent"
    assert tail.last_class(as_int16(user_voices.say("Hey Kobe.", "piper:joe@1.0")).tobytes()) \
        == "vowel"
    assert tail.last_class(b"") is None


def test_a_name_call_that_decodes_as_the_wake_phrase_does_not_wake(
        user_voices: UserVoices, caplog: pytest.LogCaptureFixture) -> None:
    # The phrase decoder makes "hey coach" of it; before the check it woke the coach.
    heard, log = wake_listen(user_voices.say("Hey Kobe.", "piper:joe@1.0"), caplog)
    assert heard == []
    assert "not a command: hey coach (not the wake phrase: the speech ends in a vowel" in log


@pytest.mark.parametrize("voice", ["festival:kal", "festival:ked", "piper:joe@1.0"])
def test_the_wake_phrase_wakes(user_voices: UserVoices, caplog: pytest.LogCaptureFixture,
                               voice: str) -> None:
    heard, _ = wake_listen(user_voices.say("hey coach", voice), caplog)
    assert [h.command for h in heard] == ["wake"]


def _hyp(text: str, confidence: float, check: str | None) -> Hypothesis:
    words = tuple(Word(w, confidence, 0.4 * i, 0.4 * i + 0.35)
                  for i, w in enumerate(text.split()))
    return Hypothesis(text, words, 0.0, words[-1].end, words[-1].end + 0.3,
                      wake_check=None if check is None else lambda: check)


def test_the_engines_check_decides_a_wake_not_the_confidence() -> None:
    parser = CommandParser(load_language("en"), "wake")
    checked = parser.parse(_hyp("hey coach", 0.1, ""))
    assert checked is not None and checked.command == "wake"
    assert parser.parse(_hyp("hey coach", 0.1, None)) is None  # no check: the floor
    assert "confidence" in parser.last_rejection
    assert parser.parse(_hyp("hey coach", 0.9, "ends in a vowel")) is None
    assert parser.last_rejection == "not the wake phrase: ends in a vowel"
    # The words after the wake phrase keep their own floor.
    assert parser.parse(_hyp("hey coach stop", 0.1, "")) is None
    sure = _hyp("hey coach stop", 0.9, "")
    parsed = parser.parse(sure)
    assert parsed is not None and parsed.command == "stop"


def test_without_the_phone_decoder_the_confidence_floor_decides(
        user_voices: UserVoices, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from voice_coach.listen.engines import sphinx_decoder

    def broken(model_dir: object = None) -> PhoneTail:
        raise RuntimeError("Failed to initialize PocketSphinx")

    monkeypatch.setattr(sphinx_decoder, "PhoneTail", broken)
    heard, log = wake_listen(user_voices.say("hey coach", "festival:kal"), caplog)
    assert [h.command for h in heard] == ["wake"]  # dry and near: above the floor
    assert "no phone check (Failed to initialize PocketSphinx)" in log
    heard, log = wake_listen(user_voices.say("Hey Kobe.", "piper:joe@1.0"), caplog)
    assert "not the wake phrase" not in log
