"""A profile from recordings made elsewhere (the bench, a phone): a folder of files named
``<command>.<phrase words joined by ->.<n>.wav`` (``pause.hold-on.2.wav``,
``wake.hey-coach.1.wav``), checked take by take by the same judge as the spoken enrollment
and saved per phrase by the same code (``enroll_flow``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from voice_coach.app.enroll_flow import Item, Judge, Outcome, check_phrase, save_phrase
from voice_coach.audio import LISTEN_RATE
from voice_coach.commands import COMMANDS, WAKE
from voice_coach.errors import UserError

_NAME = re.compile(r"^([a-z]+)\.([^.]+)\.(\d+)$")
SUFFIXES = (".wav", ".flac", ".ogg")


def read_take(path: Path) -> np.ndarray:
    """A recording as float32 mono at 16 kHz (any rate, width or channel count)."""
    from voice_coach.audio_file import read_audio
    from voice_coach.listen.resample import resample

    audio = read_audio(path)
    return resample(audio.samples, audio.rate, LISTEN_RATE)


def find_takes(folder: Path) -> dict[Item, list[Path]]:
    """The recordings of ``folder`` grouped by phrase, each group in take-number order."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder of takes")
    groups: dict[Item, list[tuple[int, Path]]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES:
            continue
        match = _NAME.match(path.stem)
        if match is None or match.group(1) not in (*COMMANDS, WAKE):
            raise UserError(f"{path}: name it <command>.<phrase-words>.<n>{path.suffix}, "
                            f"e.g. pause.hold-on.1.wav (command: wake or one of "
                            f"{', '.join(COMMANDS)})")
        item = Item(match.group(1), match.group(2).replace("-", " ").lower())
        groups.setdefault(item, []).append((int(match.group(3)), path))
    if not groups:
        raise UserError(f"{folder}: no takes (<command>.<phrase-words>.<n>.wav) in it")
    return {item: [p for _, p in sorted(paths)] for item, paths in groups.items()}


def import_takes(folder: Path, judge: Judge, profile_folder: Path,
                 phrase_map: Mapping[str, str], note: Callable[[str], None] = print,
                 ) -> list[Outcome]:
    """Check every recording in ``folder`` and save each phrase's good ones (``phrase_map``:
    the table's phrases, none of which may be enrolled for another command)."""
    outcomes = []
    found = find_takes(folder)
    for item in found:
        check_phrase(item, phrase_map)
    for item, paths in found.items():
        outcome = Outcome(item)
        good = []
        for path in paths:
            pcm = read_take(path)
            verdict, heard = judge(pcm, item.command, item.phrase)
            if verdict.ok:
                good.append(pcm)
                outcome.good += 1
            else:
                outcome.bad.append(str(verdict.problem))
                note(f"{path}: {verdict.problem} (heard {heard!r}); not used")
        save_phrase(profile_folder, good, len(paths), outcome, note)
        outcomes.append(outcome)
    return outcomes
