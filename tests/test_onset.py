"""The onset signal (where utterances open) and PocketSphinx opening utterances on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice_coach.listen.echo.onset import FRAME, onset_signal
from voice_coach.listen.engines.base import Hypothesis
from voice_coach.listen.engines.sphinx_engine import SphinxRecognizer
from voice_coach.listen.phrases import load_language
from voice_coach.sim.speakers import UserVoices


def test_linear_output_stands_in_only_where_it_holds_more_than_a_residual() -> None:
    rng = np.random.default_rng(1)
    frames = 6
    echo = rng.normal(0, 0.1, frames * FRAME).astype(np.float32)
    voice = np.zeros_like(echo)
    voice[2 * FRAME:4 * FRAME] = rng.normal(0, 0.08, 2 * FRAME)  # -2 dB under the echo
    echo[5 * FRAME:] *= 1e-4  # the coach has stopped: nothing for AEC3 to suppress
    residual = 0.05 * echo  # -26 dB: what the linear canceller leaves of the echo
    linear = voice + residual
    mic = echo + voice
    gate = np.full_like(echo, 1e-3)  # AEC3 took it all out
    out = onset_signal(mic, linear, gate)
    assert len(out) == len(gate)
    np.testing.assert_array_equal(out[2 * FRAME:4 * FRAME], linear[2 * FRAME:4 * FRAME])
    np.testing.assert_array_equal(out[:2 * FRAME], gate[:2 * FRAME])
    np.testing.assert_array_equal(out[4 * FRAME:], gate[4 * FRAME:])


def test_a_partial_frame_at_the_end_is_left_as_the_gate() -> None:
    gate = np.zeros(FRAME + 50, np.float32)
    loud = np.ones(FRAME + 50, np.float32)
    out = onset_signal(2 * loud, loud, gate)  # the echo estimate is as loud as the rest
    np.testing.assert_array_equal(out[:FRAME], loud[:FRAME])
    np.testing.assert_array_equal(out[FRAME:], gate[FRAME:])


def _decode(pcm: np.ndarray, gate: np.ndarray, onset: np.ndarray | None) -> list[Hypothesis]:
    """PocketSphinx over ``pcm`` in 20 ms blocks, closing on ``gate``, opening on ``onset``."""
    rec = SphinxRecognizer(load_language("en"))
    out = []
    for i in range(0, len(pcm), 320):
        s = slice(i, i + 320)
        out += rec.accept(pcm[s], gate[s], None if onset is None else onset[s])
    return out + rec.flush()


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> UserVoices:
    return UserVoices(Path(tmp_path_factory.mktemp("onset-voices")))


def test_an_utterance_opens_on_the_onset_signal_and_closes_on_the_gate(
        voices: UserVoices) -> None:
    # AEC3 hides the first 0.3 s of a quiet voice over the coach: opened on that alone, the
    # utterance starts too late for "end the"; the onset signal keeps the start.
    speech = voices.say("end the session", "festival:kal")
    rng = np.random.default_rng(5)
    pcm = np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(16000, np.float32)])
    pcm = pcm + rng.normal(0, 3e-4, len(pcm)).astype(np.float32)
    start = 16000 + int(np.flatnonzero(np.abs(speech) > 0.02)[0])
    hidden = pcm.copy()
    hidden[:start + 4800] = rng.normal(0, 3e-4, start + 4800)

    late = _decode(pcm, hidden, None)
    early = _decode(pcm, hidden, pcm)
    assert [h.text for h in early] == ["end the session"]
    assert early[0].start <= start / 16000 < late[0].start
    assert "end the session" not in [h.text for h in late]


def test_an_utterance_opened_early_is_decoded_again_from_where_the_gate_opens_it(
        voices: UserVoices) -> None:
    # The onset signal opens on the coach's residual right before a quiet command, and the
    # decode holds the residual's word too; the alternative starts where AEC3 opens.
    residual = 0.5 * voices.say("well", "festival:ked")
    speech = voices.say("pause", "festival:kal")
    loud = np.flatnonzero(np.abs(residual) > 0.01)
    residual = residual[loud[0]:loud[-1]]
    speech = speech[np.flatnonzero(np.abs(speech) > 0.01)[0] - 800:]
    rng = np.random.default_rng(7)
    silence = np.zeros(16000, np.float32)
    pcm = np.concatenate([silence, residual, speech, silence])
    pcm = pcm + rng.normal(0, 3e-4, len(pcm)).astype(np.float32)
    voice_at = (16000 + len(residual)) / 16000
    gate = pcm.copy()
    gate[:16000 + len(residual)] = rng.normal(0, 3e-4, 16000 + len(residual))

    [early] = _decode(pcm, gate, pcm)
    assert early.text.endswith("pause") and early.text != "pause"
    assert early.start < 1.0 + len(residual) / 16000 / 2
    # Ends on the command (a faint "ow" from the residual may lead it: the cries are in the
    # grammar now, and the parser judges the words).
    assert early.alternative is not None and early.alternative.text.split()[-1] == "pause"
    assert early.start < early.alternative.start <= voice_at
    assert (early.alternative.end, early.alternative.decided) == (early.end, early.decided)
    [gated] = _decode(pcm, gate, None)  # opened on the gate alone: nothing to decode again
    assert gated.alternative is None
    # The same frames as the alternative, from a fresh front end (cepstral mean, noise
    # estimate): what they decode to is not this test's matter (with the phrase model's
    # backoff at 0.2, DISCOUNT_MASS, "all skip"; at 0.5 "pause").
    assert gated.start == early.alternative.start
