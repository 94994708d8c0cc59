"""Phrase tables and the command parser (hypotheses built by hand: the parser is the unit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_coach.commands import COMMANDS, normalize
from voice_coach.errors import UserError
from voice_coach.listen.engines.base import Hypothesis, Word
from voice_coach.listen.parser import CommandParser
from voice_coach.listen.phrases import load_language, load_phrases


def hyp(text: str, conf: float = 1.0, seconds_per_word: float = 0.4) -> Hypothesis:
    words = tuple(Word(w, conf, 1.0 + i * seconds_per_word, 1.0 + (i + 1) * seconds_per_word)
                  for i, w in enumerate(text.split()))
    end = words[-1].end if words else 1.0
    return Hypothesis(text, words, 1.0, end, end + 0.25)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_bundled_tables_cover_every_command(language: str) -> None:
    table = load_language(language)
    assert {g.command for g in table.commands} == set(COMMANDS)
    assert {g.command for g in table.answers} == {"yes", "no"}
    assert table.wake and table.garbage
    stop = table.min_confidence("stop")
    assert stop > table.min_confidence("pause")


def test_english_phrases_people_say() -> None:
    phrases = load_language("en").phrase_map()
    for phrase, command in [("pause", "pause"), ("hold on", "pause"), ("wait", "pause"),
                            ("keep going", "resume"), ("continue", "resume"), ("skip", "next"),
                            ("go back", "back"), ("say that again", "repeat"),
                            ("that's enough", "stop"), ("where are we", "status"),
                            ("what can i say", "help"), ("yes", "yes"), ("no", "no")]:
        assert phrases[phrase] == command


def test_english_phrasings_that_collide_are_not_in_the_table() -> None:
    # Heard as another command in the bench rooms (bench/LISTENING.md, "Wrong commands"):
    # "go on" with "hold on" (pause) and "go back", "speak up" as "speed up", "how ..." as "ow".
    phrases = load_language("en").phrase_map()
    assert not {"go on", "speak up", "how long is left", "how much longer"} & set(phrases)
    assert phrases["hold on"] == "pause" and phrases["speed up"] == "faster"


def test_normalize() -> None:
    assert normalize("  That’s ENOUGH!! ") == "that's enough"
    assert normalize("Hey, coach.") == "hey coach"
    assert normalize("다시 한번!") == "다시 한번"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xx.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("language: en\nwake: hey\ncommands:\n  jump: [jump]\n", 4, "unknown command 'jump'"),
    ("language: en\nwake: hey\ncommands:\n  stop:\n    phrases: []\n", 5, "non-empty list"),
    ("language: en\nwake: hey\ncommands:\n  stop:\n    min_confidence: 2\n    phrases: [stop]\n",
     5, "min_confidence"),
    ("language: en\nwake: hey\ncommands: [stop\n", 4, "invalid YAML"),
    ("language: en\ncommands:\n  stop: [stop]\n", 1, "missing key 'wake'"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop]\n  pause: [stop]\n", 1,
     "used by 'stop' and 'pause'"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop]\ngarbage: [the, stop]\n", 1,
     "garbage word 'stop'"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop]\ndistress:\n  phrases: [ow]\n", 6,
     "distress needs 'words'"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop]\ndistress:\n  words: [ow, oh no]\n",
     6, "distress word 'oh no' must be one word"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop]\ndistress:\n  words: [ow]\n"
     "  phrases: [ow, help me]\n", 7, "distress phrase 'help me' has no distress word"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop]\ndistress:\n  words: [ow]\n"
     "  phrases: [stop ow]\n  colour: red\n", 8, "unknown key 'colour' in distress"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop]\ndistress:\n  words: [ow]\n"
     "garbage: [the, ow]\n", 1, "garbage word 'ow' is also a distress word"),
    ("language: en\nwake: hey\ncommands:\n  stop: [stop, stop ow]\ndistress:\n  words: [ow]\n"
     "  phrases: [stop ow]\n", 1, "distress phrase 'stop ow' is also the phrase of 'stop'"),
])
def test_bad_phrase_file_names_file_and_line(tmp_path: Path, text: str, line: int,
                                             fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        load_phrases(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert fragment in message and "\n" not in message


def test_yes_and_no_stay_words(tmp_path: Path) -> None:
    path = write(tmp_path, "language: en\nwake: hey coach\ncommands:\n  stop: [stop]\n"
                           "answers:\n  yes: [yes, sure]\n  no: [no]\n")
    assert load_phrases(path).phrase_map() == {"stop": "stop", "yes": "yes", "sure": "yes",
                                               "no": "no"}


def test_session_mode_accepts_exact_phrases_only() -> None:
    parser = CommandParser(load_language("en"), "session")
    assert parser.parse(hyp("hold on")).command == "pause"
    assert parser.parse(hyp("hey coach next")).command == "next"
    for text in ["repeat this on the other side", "next one please now", "skip skip", "the",
                 "hey coach", "go back to the start", "that's enough sugar"]:
        assert parser.parse(hyp(text)) is None, text
        assert parser.last_rejection


@pytest.mark.parametrize("text", [
    "stop it hurts", "ow stop", "stop stop", "that hurts stop", "please stop", "i need to stop",
    "ouch", "pause pause", "wait that's a cramp", "it is painful", "hey coach ow",
    "stop if it hurts",  # said by a voice: the echo gate, not the parser, knows the coach's
])
def test_a_distress_word_anywhere_pauses(text: str) -> None:
    for mode in ("session", "answer"):
        heard = CommandParser(load_language("en"), mode).parse(hyp(text, conf=0.5))
        assert heard is not None and heard.command == "pause" and heard.distress, (text, mode)
        assert heard.text == text
    assert CommandParser(load_language("en"), "wake").parse(hyp(text)) is None


def test_distress_is_judged_by_its_own_word() -> None:
    parser = CommandParser(load_language("en"), "session")
    # The distress word's confidence counts, not the weakest word around it.
    words = (Word("that", 0.05, 1.0, 1.2), Word("hurts", 0.6, 1.2, 1.6))
    heard = parser.parse(Hypothesis("that hurts", words, 1.0, 1.6, 1.8))
    assert heard is not None and heard.confidence == pytest.approx(0.6)
    words = (Word("that", 0.9, 1.0, 1.2), Word("really", 0.9, 1.2, 1.4),
             Word("hurts", 0.2, 1.4, 1.8))
    assert parser.parse(Hypothesis("that really hurts", words, 1.0, 1.8, 2.0)) is None
    assert "distress ['hurts'] confidence 0.20 < 0.38" in parser.last_rejection
    # A whole distress phrasing of two words or more is evidence of its own (0.3 x the floor).
    assert parser.parse(Hypothesis("that hurts", (words[0], words[2]), 1.0, 1.8, 2.0))
    assert parser.parse(hyp("that hurts", conf=0.1)) is None
    # A whole phrase that counts stays itself: "stop" ends, "wait" is a plain pause.
    assert parser.parse(hyp("stop", conf=0.9)).command == "stop"
    assert not parser.parse(hyp("wait", conf=0.9)).distress


def test_a_faint_cry_counts_when_the_next_best_readings_agree() -> None:
    from dataclasses import replace

    parser = CommandParser(load_language("en"), "session")
    faint = hyp("that's a cramp", conf=0.05)
    assert parser.parse(faint) is None
    assert "distress ['cramp'] confidence 0.05" in parser.last_rejection
    # Each of the next three readings holds a distress word (any): a cry.
    agree = replace(faint, readings=("that's cramp", "ow that's a cramp", "it's cramp", "a"))
    heard = parser.parse(agree)
    assert heard is not None and heard.command == "pause" and heard.distress
    # One of them without: the word alone decides, as before; so with fewer readings.
    assert parser.parse(replace(faint, readings=("that's cramp", "that's a camp",
                                                 "it's cramp"))) is None
    assert parser.parse(replace(faint, readings=("that's cramp", "ow cramp"))) is None
    # Not in wake mode, and a long sentence stays no cry.
    assert CommandParser(load_language("en"), "wake").parse(agree) is None
    long = replace(hyp("the shop will stop selling newspapers next month", conf=0.05),
                   readings=("stop",) * 3)
    assert parser.parse(long) is None


def test_a_long_sentence_with_a_distress_word_is_no_cry() -> None:
    parser = CommandParser(load_language("en"), "session")
    assert parser.parse(hyp("the shop will stop selling newspapers next month")) is None
    assert "in 8 words: a sentence, not a cry" in parser.last_rejection
    assert parser.parse(hyp("stop i have a bad cramp")).command == "pause"  # six words


def test_a_table_without_distress_words_keeps_strict_phrases(tmp_path: Path) -> None:
    path = write(tmp_path, "language: en\nwake: hey coach\ncommands:\n  stop: [stop]\n")
    assert CommandParser(load_phrases(path), "session").parse(hyp("stop it hurts")) is None


def test_confidence_minimum_is_per_command() -> None:
    parser = CommandParser(load_language("en"), "session")
    assert parser.parse(hyp("pause", conf=0.5)).command == "pause"
    assert parser.parse(hyp("next", conf=0.5)) is None
    assert "confidence" in parser.last_rejection
    # Too faint to end the session, "stop" still pauses (its distress word).
    faint = parser.parse(hyp("stop", conf=0.5))
    assert faint.command == "pause" and faint.distress
    heard = parser.parse(hyp("stop", conf=0.9))
    assert heard.command == "stop" and heard.confidence == pytest.approx(0.9)
    assert heard.text == "stop"


def test_three_word_phrases_need_less_confidence() -> None:
    parser = CommandParser(load_language("en"), "session")  # stop's floor: 0.7
    weak_word = hyp("end the session", conf=0.9)
    weak_word = Hypothesis(weak_word.text, (weak_word.words[0], Word("the", 0.25, 1.4, 1.5),
                                            weak_word.words[2]),
                           weak_word.start, weak_word.end, weak_word.decided)
    heard = parser.parse(weak_word)
    assert heard is not None and heard.command == "stop"
    assert heard.confidence == pytest.approx(0.25)
    assert parser.parse(hyp("end the session", conf=0.2)) is None  # under 0.3 x 0.7
    assert parser.parse(hyp("stop", conf=0.25)) is None
    assert parser.parse(hyp("go back", conf=0.25)) is None  # two words: the full floor


def test_long_drawn_out_utterance_is_rejected() -> None:
    parser = CommandParser(load_language("en"), "session")
    assert parser.parse(hyp("next", seconds_per_word=3.0)) is None
    assert parser.parse(hyp("stop", seconds_per_word=3.0)).command == "pause"  # "stooop"


def test_a_long_phrase_with_one_stretched_word_is_rejected() -> None:
    # Someone else's sentence forced into "what can i say": "what" spans several real words.
    parser = CommandParser(load_language("en"), "session")
    stretched = hyp("what can i say", conf=0.4)
    first = stretched.words[0]
    words = (Word(first.word, 0.4, first.start - 0.55, first.end), *stretched.words[1:])
    assert parser.parse(stretched).command == "help"
    assert parser.parse(Hypothesis(stretched.text, words, first.start - 0.55, stretched.end,
                                   stretched.decided)) is None
    # two-word phrases keep their long words ("slow down" drawn out in a sleepy voice)
    assert parser.parse(hyp("slow down", seconds_per_word=0.95)).command == "slower"


def test_wake_and_answer_modes() -> None:
    table = load_language("en")
    parser = CommandParser(table, "wake")
    assert parser.parse(hyp("pause")) is None
    assert parser.parse(hyp("hey coach")).command == "wake"
    assert parser.parse(hyp("hey coach resume")).command == "resume"
    parser = CommandParser(table.with_wake("Hello, Trainer"), "wake")
    assert parser.parse(hyp("hello trainer")).command == "wake"
    assert parser.parse(hyp("hey coach")) is None
    parser = CommandParser(table, "answer")
    assert parser.parse(hyp("yes please")).command == "yes"
    assert parser.parse(hyp("not now")).command == "no"
    assert CommandParser(table, "session").parse(hyp("yes")) is None


@pytest.mark.parametrize("language, wake", [("en", "hey zorblax"), ("ko", "헤이 zorblax")])
def test_unknown_wake_word_names_the_config_key_and_the_word(
        tmp_path: Path, language: str, wake: str) -> None:
    # The real recognizers' vocabularies: PocketSphinx's dictionary, the Korean Vosk model's.
    from voice_coach.config import load_config
    from voice_coach.listen.build import build_listener

    path = tmp_path / "config.toml"
    path.write_text(f'[listen]\nlanguage = "{language}"\nwake_phrase = "{wake}"\n',
                    encoding="utf-8")
    with pytest.raises(UserError) as info:
        build_listener(load_config(path))
    message = str(info.value)
    assert message.startswith(f"{path}: [listen] wake_phrase = {wake!r}")
    assert "does not know the word 'zorblax'" in message
    assert ".yaml" not in message
