"""Config file: defaults, --init round trip, every kind of bad input, CLI exit codes, devices."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from voice_coach import paths
from voice_coach.audio_devices import DeviceInfo, resolve_device
from voice_coach.cli import main
from voice_coach.config import Config, load_config, render_config, write_default_config
from voice_coach.errors import UserError


@pytest.fixture(autouse=True)
def xdg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own XDG folders so the real ~/.config is never read or written."""
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_follow_xdg_and_ignore_relative_values(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.default_config_path() == tmp_path / "config" / "voice-coach" / "config.toml"
    assert paths.default_models_dir() == tmp_path / "data" / "voice-coach" / "models"
    assert paths.state_dir() == tmp_path / "state" / "voice-coach"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")
    assert paths.cache_dir() == Path.home() / ".cache" / "voice-coach"


def test_missing_default_file_gives_defaults() -> None:
    config = load_config()
    assert config == Config()
    assert config.source is None
    assert (config.wake, config.engine, config.language) == ("hey coach", "auto", "en")
    assert config.input_device is None and config.voice is None and config.vosk_model is None
    assert config.models_dir == paths.default_models_dir()


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(UserError, match="nope.toml: config file not found"):
        load_config(missing)


def test_init_writes_commented_default_that_loads_back_identically(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    write_default_config(path)
    text = path.read_text(encoding="utf-8")
    assert "# Microphone" in text and "[speech]" in text
    assert load_config(path) == Config()
    # Nothing else (no temp file) is left next to it.
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]


def test_show_output_round_trips_a_customised_config(tmp_path: Path) -> None:
    custom = Config(input_device="USB Mic", output_device=2, wake_phrase="hello coach",
                    engine="vosk", vosk_model=tmp_path / "m", language="ko",
                    voice=tmp_path / "v.onnx", rate=0.8, volume=0.5,
                    routines_dir=tmp_path / "r", models_dir=tmp_path / "models",
                    log_level="DEBUG")
    path = write(tmp_path, render_config(custom))
    assert load_config(path) == custom
    assert load_config(path).source == path


def test_values_are_normalised(tmp_path: Path) -> None:
    path = write(tmp_path, '[listen]\nwake_phrase = "  hey   coach "\n[speech]\nrate = 1\n'
                           'voice = "voices/a.onnx"\n[general]\nlog_level = "debug"\n'
                           '[audio]\ninput_device = ""\n')
    config = load_config(path)
    assert config.wake_phrase == "hey coach"
    assert config.rate == 1.0 and isinstance(config.rate, float)
    assert config.voice == tmp_path / "voices" / "a.onnx"  # relative to the config file
    assert config.log_level == "DEBUG"
    assert config.input_device is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[speech]\nrate = 3.0\n", r"config.toml: \[speech\] rate = 3.0 is out of range 0.7-1.3"),
        ("[speech]\nvolume = 0.1\n", r"\[speech\] volume = 0.1 is out of range 0.2-1.0"),
        ('[speech]\nrate = "fast"\n', r'\[speech\] rate = "fast" must be a number'),
        ("[speech]\nrate = true\n", r"\[speech\] rate = true must be a number"),
        ("[speech]\nspeed = 1.0\n", r"unknown key \[speech\] speed \(known: voice, rate, volume\)"),
        ("[sound]\nx = 1\n", r"unknown table \[sound\]"),
        ("rate = 1.0\n", r"unknown key rate outside any table; did you mean \[speech\] rate\?"),
        ('[listen]\nengine = "whisper"\n', r"engine = \"whisper\" must be one of auto, vosk"),
        ('[listen]\nlanguage = "English"\n', r"language = \"English\" must be a language code"),
        ('[listen]\nwake_phrase = " "\n', r"wake_phrase = \" \" must be non-empty text"),
        ("[audio]\ninput_device = -1\n", r"input_device = -1 must be an index >= 0"),
        ("[audio]\noutput_device = 1.5\n", r"output_device = 1.5 must be a device name"),
        ('[general]\nlog_level = "LOUD"\n', r"log_level = \"LOUD\" must be one of DEBUG"),
        ('[general]\nmodels_dir = ""\n', r"models_dir = \"\" must be a non-empty path"),
        ("[general]\nmodels_dir = 3\n", r"models_dir = 3 must be a path"),
        ("speech = 1\n", r"speech must be a table"),
        ("[speech]\nrate = 1.0\nrate = 1.1\n", r"config.toml:3:\d+: invalid TOML"),
        ("[speech\n", r"config.toml:1:\d+: invalid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UserError, match=message) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_non_utf8_file_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[listen]\nwake_phrase = "caf\xe9"\n')
    with pytest.raises(UserError, match="not UTF-8"):
        load_config(path)


def test_every_config_field_is_settable_from_the_file() -> None:
    from voice_coach.config import KEYS

    settable = {key.attr for key in KEYS}
    assert settable == {f.name for f in fields(Config)} - {"source"}


def test_cli_config_init_show_and_exit_codes(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    assert main(["config", "--init", "--config", str(path)]) == 0
    assert path.exists()
    assert main(["config", "--init", "--config", str(path)]) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    path.write_text("[speech]\nrate = 9\n", encoding="utf-8")
    assert main(["config", "--show", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[speech] rate = 9 is out of range" in err
    assert main(["config", "--init", "--force", "--config", str(path)]) == 0
    capsys.readouterr()
    assert main(["config", "--show", "--config", str(path)]) == 0
    shown = capsys.readouterr().out
    assert 'wake_phrase = "hey coach"' in shown
    # Without --config: the XDG default location.
    assert main(["config", "--init"]) == 0
    assert paths.default_config_path().exists()


DEVICES = [
    DeviceInfo(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", "ALSA", 2, 2, 44100.0, True, True),
    DeviceInfo(1, "USB PnP Sound Device: Audio (hw:1,0)", "ALSA", 1, 0, 48000.0, False, False),
    DeviceInfo(2, "HDMI 0", "ALSA", 0, 8, 48000.0, False, False),
]


def test_resolve_device_by_name_index_and_default() -> None:
    assert resolve_device("usb", "input", DEVICES) == 1
    assert resolve_device("hdmi", "output", DEVICES) == 2
    assert resolve_device(0, "output", DEVICES) == 0
    assert resolve_device(None, "input", DEVICES) is None


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("hdmi", "input", 'input_device = "hdmi": no input device name contains it'),
        (2, "input", "input_device = 2: no input device with that index"),
        ("hw:", "input", 'input_device = "hw:" matches several input devices'),
    ],
)
def test_resolve_device_errors_name_the_device(value: str | int, kind: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        resolve_device(value, kind, DEVICES)  # type: ignore[arg-type]


def test_resolve_device_with_no_devices_of_that_kind() -> None:
    with pytest.raises(UserError, match="no audio output device found"):
        resolve_device(None, "output", DEVICES[1:2])


def _run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_coach.cli", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def _sound_cards() -> bool:
    try:
        text = Path("/proc/asound/cards").read_text(encoding="utf-8")
    except OSError:
        return False
    return "no soundcards" not in text and bool(text.strip())


def test_devices_reports_real_portaudio_view() -> None:
    # Real PortAudio, no stand-ins. This machine has no sound card, so the one-line
    # "no devices" error is what runs here; where cards exist the listing must show them.
    result = _run_cli(["devices"], dict(os.environ))
    assert "Traceback" not in result.stderr
    if _sound_cards():
        assert result.returncode == 0, result.stderr
        assert "index" in result.stdout.splitlines()[0]
    else:
        assert result.returncode == 1, result.stdout
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("voice-coach: no audio devices found: connect a microphone")


def test_devices_without_portaudio_says_what_to_install(tmp_path: Path) -> None:
    # PortAudio cannot be uninstalled here, so a stand-in sounddevice module fails to import
    # exactly as the real one does when libportaudio2 is missing (OSError at import time).
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n",
                                         encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{fake}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    result = _run_cli(["devices"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "PortAudio library not found" in result.stderr
    assert "apt install libportaudio2" in result.stderr


def test_language_alone_brings_its_own_wake_phrase(tmp_path: Path) -> None:
    from voice_coach.listen.build import build_listener
    from voice_coach.speech import WavWriter

    path = write(tmp_path, '[listen]\nlanguage = "ko"\n')
    config = load_config(path)
    assert config.wake_phrase is None and config.wake == "헤이 코치"
    assert build_listener(config).table.wake == "헤이 코치"  # the real Korean Vosk model
    assert '# wake_phrase = "헤이 코치"' in render_config(config)
    assert Config().wake == "hey coach"
    assert load_config(write(tmp_path, '[listen]\nlanguage = "ko"\nwake_phrase = "코치"\n')
                       ).wake == "코치"
    # As the user meets it: the listener of `run`, offline, waiting for the wake phrase.
    path = write(tmp_path, '[listen]\nlanguage = "ko"\n')
    with WavWriter(tmp_path / "quiet.wav", 16000) as wav:
        wav.write(np.zeros(16000, np.float32))
    result = subprocess.run([sys.executable, "-m", "voice_coach.cli", "detect", "--config",
                             str(path), "--mode", "wake", str(tmp_path / "quiet.wav")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "wake_phrase" not in result.stderr, result.stderr


def test_history_tells_the_wake_phrase_of_the_language(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from voice_coach.core.actions import Progress
    from voice_coach.state_store import HistoryEntry, StateStore

    store = StateStore(tmp_path / "state")
    store.append_history(HistoryEntry(0.0, "lower-back-hip", 0, 10, 0, 60.0, "interrupted"))
    store.save_progress(Progress("lower-back-hip", 3))
    path = write(tmp_path, '[listen]\nlanguage = "ko"\n')
    assert main(["history", "--state-dir", str(tmp_path / "state"), "--config", str(path)]) == 0
    assert 'say "헤이 코치", then "resume"' in capsys.readouterr().out
