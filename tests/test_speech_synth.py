"""Synthesizer and voice validation against the real bundled Piper voice."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from voice_coach.errors import UserError
from voice_coach.speech import Synthesizer, default_voice_path, load_voice_info
from voice_coach.speech.cache import DiskCache, cache_key

SHORT = "Breathe in slowly."
LONG = "Breathe in slowly through your nose, and let your belly rise under your hands."


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tts-cache")


@pytest.fixture(scope="module")
def synth(cache_root: Path):
    with Synthesizer(cache_dir=cache_root) as s:
        yield s


def rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))


def test_default_voice_is_the_bundled_piper_voice() -> None:
    info = load_voice_info(None)
    assert info.model_path == default_voice_path().resolve()
    assert info.sample_rate == 22050
    assert info.voice_id.startswith("en_US-joe-medium-")


def test_synthesize_returns_plausible_speech(synth: Synthesizer) -> None:
    short = synth.synthesize(SHORT)
    long = synth.synthesize(LONG)
    for pcm in (short, long):
        assert pcm.dtype == np.float32 and pcm.ndim == 1
        assert np.abs(pcm).max() <= 1.0
        assert rms(pcm) > 0.03
    assert 0.5 < len(short) / synth.sample_rate < 4.0
    assert len(long) > 2 * len(short)


def test_slower_rate_gives_longer_audio(synth: Synthesizer) -> None:
    slow = synth.synthesize(SHORT, rate=0.7)
    fast = synth.synthesize(SHORT, rate=1.4)
    assert len(slow) > 1.5 * len(fast)


def test_warm_cache_serves_identical_audio_without_loading_the_voice(
    synth: Synthesizer, cache_root: Path
) -> None:
    first = synth.synthesize(SHORT)
    second = Synthesizer(cache_dir=cache_root)
    again = second.synthesize(SHORT)
    assert np.array_equal(first, again)
    assert second.stats.piper_calls == 0 and second.stats.disk_hits == 1
    assert second._piper is None  # the model was never loaded
    assert second.synthesize(SHORT) is again  # then from memory
    assert second.stats.memory_hits == 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_corrupt_cache_entry_is_resynthesized(
    synth: Synthesizer, cache_root: Path, damage: str
) -> None:
    text = f"Let the knee fall open, case {damage}."
    good = synth.synthesize(text)
    entry = DiskCache(synth.cache_dir, synth.sample_rate).path_for(
        cache_key(synth.voice.voice_id, text, 1.0)
    )
    data = bytearray(entry.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = bytearray()
    entry.write_bytes(bytes(data))

    fresh = Synthesizer(cache_dir=cache_root)
    fresh._piper = synth._voice_model()  # share the loaded model; only the cache is under test
    pcm = fresh.synthesize(text)
    assert fresh.stats.piper_calls == 1 and fresh.stats.disk_hits == 0
    assert rms(pcm) > 0.03 and abs(len(pcm) - len(good)) < 0.3 * len(good)
    repaired = DiskCache(synth.cache_dir, synth.sample_rate).get(
        cache_key(synth.voice.voice_id, text, 1.0)
    )
    assert repaired is not None and np.array_equal(repaired, pcm)


def test_prefetch_returns_at_once_and_synthesize_uses_its_result(synth: Synthesizer) -> None:
    texts = [f"Now hold for {n} breaths." for n in ("three", "four", "five")]
    calls = synth.stats.piper_calls
    synth.prefetch(texts, rate=0.9)
    assert synth.stats.piper_calls < calls + len(texts)  # the caller did not wait for them
    for text in texts:
        synth.synthesize(text, rate=0.9)
    assert synth.stats.piper_calls == calls + len(texts)  # each text synthesized once


def test_synthesize_waits_for_the_text_being_prefetched(synth: Synthesizer) -> None:
    text = "Slowly roll onto your left side and rest your head on your arm."
    calls, waits = synth.stats.piper_calls, synth.stats.shared_waits
    synth.prefetch([text])
    deadline = time.monotonic() + 5
    while not synth._inflight and time.monotonic() < deadline:
        time.sleep(0.001)
    assert synth._inflight, "prefetch never started"
    pcm = synth.synthesize(text)
    assert rms(pcm) > 0.03
    assert synth.stats.piper_calls == calls + 1
    assert synth.stats.shared_waits == waits + 1


def test_missing_voice_is_a_user_error(tmp_path: Path) -> None:
    missing = tmp_path / "nobody.onnx"
    with pytest.raises(UserError, match="nobody.onnx"):
        Synthesizer(voice_path=missing, cache_dir=tmp_path)


def test_voice_without_config_is_a_user_error(tmp_path: Path) -> None:
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"\0" * 64)
    with pytest.raises(UserError, match=r"voice\.onnx.*voice\.onnx\.json not found"):
        load_voice_info(model)


@pytest.mark.parametrize(
    "config_text, message",
    [("{not json", "invalid JSON"), ('{"audio": {}}', "missing key"),
     ('{"audio": {"sample_rate": -1}, "num_symbols": 1, "phoneme_id_map": {}}', "sample_rate")],
)
def test_bad_voice_config_is_a_user_error(tmp_path: Path, config_text: str, message: str) -> None:
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"\0" * 64)
    (tmp_path / "voice.onnx.json").write_text(config_text)
    with pytest.raises(UserError, match=message) as info:
        load_voice_info(model)
    assert "voice.onnx" in str(info.value) and "\n" not in str(info.value)


def test_garbage_model_fails_on_first_use_naming_the_file(tmp_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"this is not an onnx model" * 10)
    shutil.copy(default_voice_path().with_suffix(".onnx.json"), tmp_path / "broken.onnx.json")
    json.loads((tmp_path / "broken.onnx.json").read_text())
    synth = Synthesizer(voice_path=model, cache_dir=tmp_path / "cache")
    with pytest.raises(UserError, match="broken.onnx: cannot load Piper voice") as info:
        synth.synthesize("Hello.")
    assert "\n" not in str(info.value)


def test_cache_lives_under_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    synth = Synthesizer()
    assert synth.cache_dir.parent == tmp_path / "voice-coach" / "tts"
    assert synth.cache_dir.name == synth.voice.voice_id


def test_unwritable_cache_is_not_fatal(synth: Synthesizer, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    other = Synthesizer(cache_dir=blocker)
    other._piper = synth._voice_model()
    pcm = other.synthesize("Rest for a moment.")
    assert rms(pcm) > 0.03 and other.stats.piper_calls == 1


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def test_a_long_sentence_leaves_no_peak_memory_behind(tmp_path: Path) -> None:
    # Piper's activations for 16 s of speech are tens of MB more than the audio; without
    # handing them back the process would stay at that peak (bench/LIVE.md, idle run).
    fresh = Synthesizer(cache_dir=tmp_path)
    fresh.synthesize("Hello there.")
    before = _rss_mb()
    audio = fresh.synthesize(
        "Let both knees sway slowly to the right and then back to the middle, and then to the "
        "left and back again, keeping the shoulders heavy on the bed, the jaw soft, the breath "
        "slow and easy, and the whole movement small enough that nothing in the back pinches")
    assert len(audio) > 12 * fresh.sample_rate
    assert _rss_mb() - before < 25.0
