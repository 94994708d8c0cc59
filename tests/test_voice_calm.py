"""The coach's voice as a listener in a dark room hears it: a calm pace, every sentence as
loud as the next, and one closing that fits the routine (real Piper renders of the bundled
routines, measured)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from voice_render import (
    SpokenRender,
    active_level_db,
    instructions_session,
    render_session,
    routine_session,
)

from voice_coach.app.daemon import routine_options
from voice_coach.app.prepare import make_session, prepare
from voice_coach.config import Config
from voice_coach.core import replies
from voice_coach.routine import load_routine, resolve_routine
from voice_coach.speech import Synthesizer
from voice_coach.speech.cache import DiskCache
from voice_coach.speech.loudness import (
    PEAK_CEILING_DBFS,
    normalize_loudness,
    speech_loudness,
)

ROUTINES = ("bedtime-breathing", "lower-back-hip")
CALM_WPM = (100.0, 140.0)
"""Guided relaxation is usually spoken at 100-140 words a minute."""
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def synth():
    # The run's shared cache (conftest): other tests render the same routines.
    with Synthesizer() as s:
        yield s


@pytest.fixture(scope="module")
def instructions(synth: Synthesizer) -> dict[str, SpokenRender]:
    return {rid: render_session(instructions_session(rid), synth) for rid in ROUTINES}


@pytest.fixture(scope="module")
def sessions(synth: Synthesizer) -> dict[str, SpokenRender]:
    return {rid: render_session(routine_session(rid), synth) for rid in ROUTINES}


# --- pace ----------------------------------------------------------------------------------


@pytest.mark.parametrize("routine", ROUTINES)
def test_default_pace_is_a_calm_guide_s(
    routine: str, instructions: dict[str, SpokenRender],
) -> None:
    wpm = instructions[routine].words_per_minute
    assert CALM_WPM[0] <= wpm <= CALM_WPM[1], f"{routine}: {wpm:.0f} words a minute"


def test_readme_states_the_pace_the_render_measures(
    instructions: dict[str, SpokenRender],
) -> None:
    match = re.search(r"about (\d+) words a minute", README.read_text(encoding="utf-8"))
    assert match, "README: no 'about N words a minute'"
    measured = [render.words_per_minute for render in instructions.values()]
    assert all(abs(int(match.group(1)) - wpm) <= 10 for wpm in measured), measured


def test_slower_and_faster_move_around_the_calm_default(synth: Synthesizer) -> None:
    pace = {rate: render_session(instructions_session("bedtime-breathing", rate), synth)
            .words_per_minute for rate in (0.7, 1.0, 1.3)}
    assert pace[0.7] < CALM_WPM[0] <= pace[1.0] <= CALM_WPM[1] < pace[1.3]
    # Speech and the gaps between sentences both follow the rate (Piper's lead-in and tail
    # do not quite, hence not the full 1.3 / 0.7).
    assert pace[1.3] / pace[0.7] > 1.5


# --- loudness ------------------------------------------------------------------------------


@pytest.mark.parametrize("routine", ROUTINES)
def test_every_sentence_is_within_2_db_of_the_median(
    routine: str, sessions: dict[str, SpokenRender],
) -> None:
    render = sessions[routine]
    clips = [(render.clip(item), item.text) for item in render.spoken]
    assert any(len(text.split()) == 1 for _, text in clips)  # "Three.", "Four."...
    for measure in (speech_loudness, active_level_db):
        levels = [(measure(clip, render.sample_rate), text) for clip, text in clips]
        median = float(np.median([level for level, _ in levels]))
        off = [(round(level - median, 1), text) for level, text in levels
               if abs(level - median) > 2.0]
        assert not off, f"{routine} ({measure.__name__}, median {median:.1f} dB): {off}"


@pytest.mark.parametrize("routine", ROUTINES)
def test_nothing_in_a_render_comes_near_clipping(
    routine: str, sessions: dict[str, SpokenRender],
) -> None:
    peak = float(np.max(np.abs(sessions[routine].audio)))
    assert 20 * np.log10(peak) <= PEAK_CEILING_DBFS + 0.01


def test_a_word_shorter_than_a_gating_block_is_measured_as_it_sounds() -> None:
    # A tone as long as "Four." and the same tone over two seconds are equally loud:
    # padding the short one to pyloudnorm's 400 ms block would read it 6 dB quieter.
    rate = 22050
    tone = lambda seconds: (0.1 * np.sin(  # noqa: E731
        2 * np.pi * 440 * np.arange(round(seconds * rate)) / rate)).astype(np.float32)
    assert speech_loudness(tone(0.1), rate) == pytest.approx(speech_loudness(tone(2.0), rate),
                                                             abs=0.3)


def test_a_peaky_sentence_is_turned_down_to_the_ceiling_not_clipped() -> None:
    rate = 22050
    quiet = np.zeros(rate, np.float32)
    quiet[::50] = 0.02
    quiet[rate // 2] = 0.5  # one click far above the rest
    out = normalize_loudness(quiet, rate)
    assert 20 * np.log10(np.max(np.abs(out))) == pytest.approx(PEAK_CEILING_DBFS, abs=0.01)


# --- the speech cache ----------------------------------------------------------------------


def test_audio_cached_the_old_way_is_never_played(tmp_path: Path) -> None:
    import hashlib

    with Synthesizer(cache_dir=tmp_path) as synth:
        text = "Let your shoulders soften."
        # The key the cache used before the calm voice: voice, rate and text only.
        old_key = hashlib.sha256(f"{synth.voice.voice_id}\n{1.0:.3f}\n{text}".encode())
        stale = np.full(synth.sample_rate, 0.9, np.float32)
        DiskCache(synth.cache_dir, synth.sample_rate).put(old_key.hexdigest(), stale)
        pcm = synth.synthesize(text)
        assert synth.stats.piper_calls == 1
        assert np.max(np.abs(pcm)) < 0.9


# --- endings -------------------------------------------------------------------------------


@pytest.mark.parametrize("routine", ROUTINES)
def test_a_routine_ends_with_its_own_closing_and_not_the_generic_line(
    routine: str, sessions: dict[str, SpokenRender],
) -> None:
    closing = load_routine(resolve_routine(routine, None)).closing
    said = [item.text for item in sessions[routine].spoken]
    assert closing and said[-1] == closing
    assert replies.CLOSING not in said


def test_no_get_up_after_the_bedtime_routine(sessions: dict[str, SpokenRender]) -> None:
    said = [item.text for item in sessions["bedtime-breathing"].spoken]
    assert said[-1].endswith("Sleep well.")
    assert not [text for text in said if "get up" in text.lower()]


def test_a_routine_without_closing_words_gets_the_generic_line(
    tmp_path: Path, synth: Synthesizer,
) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("title: Short\nsections:\n  - section: S\n    blocks:\n"
                    "      - say: Rest your hands.\n      - pause: 1\n", encoding="utf-8")
    session = make_session(prepare(str(path), Config()), 1.0, 0.8)
    said = [item.text for item in render_session(session, synth).spoken]
    # The safety lines come after the opening; the generic closing ends it.
    assert said[0] == "Rest your hands." and said[-1] == replies.CLOSING
    assert replies.CLOSING not in said[:-1]


def test_the_voice_chosen_routines_carry_their_closing() -> None:
    options = {option.id: option for option in routine_options(None)}
    for routine in ROUTINES:
        assert options[routine].closing == load_routine(resolve_routine(routine, None)).closing
