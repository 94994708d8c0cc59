"""``voice-coach enroll`` carried out: where the profile lives, listing and deleting it, and
the spoken enrollment (or an import of recordings) with the configured recognizer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from voice_coach import paths
from voice_coach.app.enroll_ears import make_judge
from voice_coach.app.enroll_flow import Outcome, check_writable, enroll, plan, summary
from voice_coach.app.enroll_live import LiveEnrollAudio
from voice_coach.app.prepare import block_size
from voice_coach.audio import BLOCK_SECONDS
from voice_coach.config import Config
from voice_coach.errors import UserError
from voice_coach.personal import profile
from voice_coach.speech import Player, Synthesizer


def profile_folder(name: str, state_dir: Path | None) -> Path:
    """``name`` in the state folder's voice/ folder; a path (with a /) is the folder itself."""
    if "/" in name or name in (".", ".."):
        return Path(name).expanduser()
    return profile.profile_dir(state_dir or paths.state_dir(), name)


def list_lines(folder: Path) -> list[str]:
    """The profile as a table: one line per phrase."""
    takes = profile.load(folder)
    if not takes:
        return [f"no voice profile in {folder} (make one with: voice-coach enroll)"]
    rows: dict[tuple[str, str], list[profile.Take]] = {}
    for take in takes:
        rows.setdefault((take.command, take.phrase), []).append(take)
    lines = [f"voice profile {folder}", f"{'command':8s} {'phrase':20s} takes  seconds  "
             "recorded"]
    for (command, phrase), group in rows.items():
        seconds = sum(t.seconds for t in group)
        lines.append(f"{command:8s} {phrase:20s} {len(group):5d}  {seconds:7.1f}  "
                     f"{max(t.recorded for t in group)}")
    return lines


def delete(folder: Path, command: str | None, confirm: Callable[[str], bool]) -> str:
    """Delete one command's takes, or (after ``confirm``) the whole profile."""
    takes = profile.load(folder)
    if command is not None:
        gone = profile.remove(folder, command)
        return (f"deleted {len(gone)} takes of {command} from {folder}" if gone
                else f"no takes of {command} in {folder}; nothing deleted")
    if not takes and not folder.exists():
        return f"no voice profile in {folder}; nothing deleted"
    if not confirm(f"delete the voice profile {folder} ({len(takes)} takes)?"):
        raise UserError(f"voice profile {folder} not deleted (add --yes to delete it without "
                        "asking)")
    profile.remove(folder, None)
    return f"deleted the voice profile {folder} ({len(takes)} takes)"


def run_spoken(config: Config, folder: Path, command: str | None, phrase: str | None,
               takes: int, note: Callable[[str], None] = print) -> tuple[list[Outcome], bool]:
    """The spoken enrollment on the sound cards; returns the outcomes and whether it was
    interrupted."""
    from voice_coach.app.live_run import VOICE_HINT
    from voice_coach.speech import Synthesizer

    check_writable(folder)
    judge = make_judge(config)
    items = plan(judge.table, profile.load(folder), command, phrase)
    try:
        synthesizer = Synthesizer(config.voice)
    except UserError as error:
        raise UserError(f"{error}; {VOICE_HINT}") from None
    try:
        with sound_cards(config, synthesizer) as audio:
            outcomes, interrupted = enroll(items, audio, judge, folder, takes, note)
    finally:
        synthesizer.close()
    for line in summary(outcomes, interrupted):
        note(line)
    if interrupted:  # what is on disk now, whatever the moment of the interruption
        for line in list_lines(folder):
            note(line)
    return outcomes, interrupted


def run_import(config: Config, folder: Path, source: Path,
               note: Callable[[str], None] = print) -> list[Outcome]:
    """Check and save the recordings of ``source`` (``enroll_import``)."""
    from voice_coach.app.enroll_import import find_takes, import_takes

    find_takes(source)  # a bad folder or file name: one line before any model loads
    check_writable(folder)
    judge = make_judge(config)
    outcomes = import_takes(source, judge, folder, judge.phrase_map, note)
    for line in summary(outcomes, False):
        note(line)
    return outcomes


@contextmanager
def sound_cards(config: Config, synthesizer: Synthesizer) -> Iterator[LiveEnrollAudio]:
    """``voice-coach enroll`` on its own: opens the speaker and microphone of [audio]."""
    from voice_coach.app.live_mic import input_rate
    from voice_coach.app.live_run import NO_SOUND_CARD_HINT, check_audio
    from voice_coach.speech.device import DeviceOutput

    mic_rate = input_rate(check_audio(config))
    player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate),
                    volume=config.volume)
    output = DeviceOutput(player, config.output_device)
    output.start()
    try:
        audio = LiveEnrollAudio(player, synthesizer, config.rate, config.input_device,
                                mic_rate, lambda: output.latency)
        try:
            audio.__enter__()
        except UserError as error:
            raise UserError(f"{error}; {NO_SOUND_CARD_HINT}") from None
        try:
            yield audio
        finally:
            audio.__exit__()
    finally:
        player.stop()
        time.sleep(2 * BLOCK_SECONDS)  # let the fade-out reach the speaker
        output.close()
