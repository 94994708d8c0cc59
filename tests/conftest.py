"""Shared test set-up: keep every test run away from the user's real config, cache and state."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

import pytest

from voice_coach.sim.speakers import UserVoices


@pytest.fixture(scope="session", autouse=True)
def isolated_xdg_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # One cache for the whole run, so Piper speech is synthesized once and shared.
    root = tmp_path_factory.mktemp("xdg")
    saved = {name: os.environ.get(name) for name in XDG_NAMES}
    for name in XDG_NAMES:
        os.environ[name] = str(root / name.lower())
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session", autouse=True)
def noiseless_piper() -> Iterator[None]:
    # Piper draws random noise into every render (noise_scale, noise_w), and a fresh cache
    # renders the coach anew each run: a test's outcome then depends on the draw (one CI run
    # of many heard an extra "status" and "pause" over the coach in the demo). With the noise
    # off the coach sounds the same every run; the listening bench keeps Piper's noise and
    # measures how often such renders fool the listener.
    import piper

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(piper, "SynthesisConfig",
                      functools.partial(piper.SynthesisConfig, noise_scale=0.0,
                                        noise_w_scale=0.0))
        yield


@pytest.fixture(scope="session")
def user_voices(tmp_path_factory: pytest.TempPathFactory) -> UserVoices:
    """Synthetic users (Festival, espeak-ng, Piper at other rates), cached for the run."""
    return UserVoices(tmp_path_factory.mktemp("user-voices"))


XDG_NAMES = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
