"""Embeddings, templates and the streaming matcher on real Festival speech through the
simulated room (issue #17)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from listen_scene import ROOM

from voice_coach.personal.embedding import STEP, EmbeddingStream, embed_clip
from voice_coach.personal.matcher import Matcher
from voice_coach.personal.templates import from_frames, take_frames, voiced_span
from voice_coach.sim.speakers import UserVoices
from voice_coach.sim.takes import take, takes

PHRASES = (("hold on", "pause"), ("go on", "resume"), ("go back", "back"), ("next", "next"))


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> UserVoices:
    return UserVoices(tmp_path_factory.getbasetemp() / "user-voices")


def test_the_stream_gives_the_clips_frames_whatever_the_block_size(voices: UserVoices) -> None:
    # Room sound around the phrase: on digital silence the mel model's floor (80 dB under
    # the loudest sound of each call) depends on the chunking; a mic always hears some noise.
    pcm = take(voices.say("hold on", "festival:kal"), ROOM, np.random.default_rng(0))
    whole = embed_clip(pcm)
    stream = EmbeddingStream()
    parts = [stream.feed(pcm[i:i + 320]) for i in range(0, len(pcm), 320)]
    vectors = np.concatenate([p.vectors for p in parts])
    ends = np.concatenate([p.ends for p in parts])
    assert vectors.shape == whole.vectors.shape and vectors.shape[1] == 96
    assert np.array_equal(ends, whole.ends) and np.all(np.diff(ends) == STEP)
    assert np.abs(vectors - whole.vectors).max() < 1e-3 * np.abs(whole.vectors).max()
    assert np.abs(whole.vectors).max() > 0.1  # speech gives real embeddings, not zeros


def test_a_take_is_cut_to_its_voice(voices: UserVoices) -> None:
    dry = voices.say("go back", "festival:kal")
    recorded = take(dry, ROOM, np.random.default_rng(0))
    span = voiced_span(recorded)
    assert span is not None
    start, end = span
    assert 0.4 * 16000 < start < 0.9 * 16000  # the take has 0.6 s of room before the phrase
    assert 0.3 * 16000 < end - start < 1.5 * 16000
    assert voiced_span(np.zeros(32000, np.float32)) is None
    assert take_frames(np.zeros(32000, np.float32)) is None


def test_new_takes_match_their_own_command_best(voices: UserVoices) -> None:
    enrolled = takes(PHRASES, "festival:kal", 2, replace(ROOM, seed=21), seed=2,
                     cache=voices.cache_dir)
    frames = [(c, p, take_frames(pcm)) for c, p, pcm in enrolled]
    templates = from_frames([(c, p, f) for c, p, f in frames if f is not None])
    assert len(templates.templates) == 2 * len(PHRASES)
    rng = np.random.default_rng(9)
    for phrase, command in PHRASES:
        said = take(voices.say(phrase, "festival:kal"), replace(ROOM, seed=77), rng)
        matcher = Matcher(templates)
        stream = EmbeddingStream()
        for i in range(0, len(said), 640):
            got = stream.feed(said[i:i + 640])
            matcher.push(got.vectors, got.ends)
        best = np.min(np.stack([f.scores for f in matcher.history]), axis=0)
        order = np.argsort(best)
        assert matcher.commands[order[0]] == command, (phrase, dict(zip(matcher.commands,  # noqa: B905
                                                                        best.round(2))))
        assert best[order[1]] - best[order[0]] > 0.05
