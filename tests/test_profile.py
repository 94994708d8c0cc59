"""Voice profiles: takes saved as WAV files, listed, grouped, deleted; bad manifests named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice_coach.errors import UserError
from voice_coach.personal import profile


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * profile.RATE)) / profile.RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_takes_are_saved_listed_and_deleted(tmp_path: Path) -> None:
    folder = profile.profile_dir(tmp_path)
    assert profile.load(folder) == []
    first = profile.add_take(folder, "pause", "hold on", _tone(0.5))
    second = profile.add_take(folder, "pause", "hold on", _tone(0.25))
    profile.add_take(folder, "resume", "go on", _tone(0.4))
    assert (first.path.name, second.path.name) == ("hold-on-1.wav", "hold-on-2.wav")
    takes = profile.load(folder)
    assert [t.command for t in takes] == ["pause", "pause", "resume"]
    assert len(takes[1].samples()) == 4000
    assert np.allclose(takes[0].samples(), _tone(0.5), atol=1 / 32767)
    assert sorted(profile.by_command(takes)) == ["pause", "resume"]
    gone = profile.remove(folder, "pause")
    assert len(gone) == 2 and not first.path.exists()
    assert [t.command for t in profile.load(folder)] == ["resume"]
    profile.remove(folder)
    assert not folder.exists() and profile.load(folder) == []


def test_a_broken_manifest_is_named_with_its_line(tmp_path: Path) -> None:
    folder = profile.profile_dir(tmp_path, "anna")
    folder.mkdir(parents=True)
    (folder / profile.MANIFEST).write_text('{\n "version": 1,\n "takes": [\n')
    with pytest.raises(UserError, match=r"takes\.json:4: not valid JSON"):
        profile.load(folder)


def test_profile_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="profile name"):
        profile.profile_dir(tmp_path, "../escape")
