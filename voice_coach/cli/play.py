"""``voice-coach play``: a routine to the speaker, or rendered to a WAV file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from voice_coach.app.prepare import (
    block_size,
    check_output_path,
    make_session,
    prepare,
    session_rate,
)
from voice_coach.app.progress import ProgressLine, clock
from voice_coach.app.render import render
from voice_coach.config import RATE_RANGE, VOLUME_RANGE, add_config_argument, load_config
from voice_coach.core.recorded import RecordedSession
from voice_coach.core.session import Session
from voice_coach.speech import Player, Synthesizer, WavWriter
from voice_coach.state_store import StateStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "play",
        help="play a routine to the speaker or render it to a WAV file",
        description="Play a routine (no listening: use `run` for voice control).",
    )
    parser.add_argument("routine", metavar="ROUTINE", help="routine id (see `list`) or file")
    parser.add_argument("--device", default=None, metavar="NAME|INDEX",
                        help="speaker (see `devices`; default: config, else the system default)")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                        help="where progress and history are kept, as for `run` (default: XDG "
                             "state dir; a render with --to keeps none)")
    add_session_arguments(parser)
    parser.set_defaults(func=run)


def add_session_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``play`` and ``simulate``."""
    parser.add_argument("--to", type=Path, default=None, metavar="FILE.wav",
                        help="render to this WAV file instead of the speaker (fast)")
    parser.add_argument("--rate", type=rate_value, default=None,
                        help=f"speaking and pacing rate, {RATE_RANGE[0]}-{RATE_RANGE[1]} "
                             "(default: routine x config)")
    parser.add_argument("--volume", type=volume_value, default=None,
                        help=f"playback volume, {VOLUME_RANGE[0]}-{VOLUME_RANGE[1]} "
                             "(default: config)")
    parser.add_argument("--from-section", type=int, default=None, metavar="N",
                        help="start at section N (1-based)")
    parser.add_argument("--voice", type=Path, default=None, metavar="PATH.onnx",
                        help="Piper voice (default: config, else the bundled voice)")
    add_config_argument(parser)


def _bounded(text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not low <= value <= high:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{value} is outside {low}-{high}")
    return value


def rate_value(text: str) -> float:
    return _bounded(text, *RATE_RANGE)


def volume_value(text: str) -> float:
    return _bounded(text, *VOLUME_RANGE)


def open_synthesizer(voice: Path | None) -> Synthesizer:
    """The voice is loaded now, so a broken voice file is reported before anything starts."""
    synthesizer = Synthesizer(voice)
    try:
        synthesizer.load()
    except BaseException:
        synthesizer.close()
        raise
    return synthesizer


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    check_output_path(args.to)
    prepared = prepare(args.routine, config, args.from_section)
    device = args.device if args.device is not None else config.output_device
    store = None
    if args.to is None:  # before the voice loads: a wrong --device is told at once
        from voice_coach.speech.device import resolve_output_device

        store = StateStore(args.state_dir)
        store.check_writable()
        resolve_output_device(device, label="--device" if args.device is not None else "")
    volume = args.volume if args.volume is not None else config.volume
    session = make_session(prepared, session_rate(prepared, config, args.rate), volume)
    with open_synthesizer(args.voice or config.voice) as synthesizer:
        player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate),
                        volume=session.volume)
        progress = ProgressLine(session)
        try:
            if args.to is not None:
                return _render(args.to, session, synthesizer, player, progress)
            assert store is not None
            return _live(session, synthesizer, player, progress, device, store)
        finally:
            progress.close()


def _render(path: Path, session: Session, synthesizer: Synthesizer, player: Player,
            progress: ProgressLine) -> int:
    started = time.monotonic()
    with WavWriter(path, player.sample_rate) as wav:
        result = render(session, synthesizer, player, sink=lambda block, _t: wav.write(block),
                        on_step=progress.update)
    wall = time.monotonic() - started
    progress.close()
    print(f"wrote {path}: {clock(result.seconds)} of audio in {wall:.1f} s "
          f"({result.seconds / max(wall, 1e-6):.0f}x real time)", file=sys.stderr)
    return 0


def _live(session: Session, synthesizer: Synthesizer, player: Player, progress: ProgressLine,
          device: str | int | None, store: StateStore) -> int:
    from voice_coach.app.live import play_live
    from voice_coach.app.state_writer import StateWriter

    # No Dialogue to tell the user that saving fails: the writer's log lines say it.
    writer = StateWriter(store, on_change=lambda _change: None)
    stopped = play_live(RecordedSession(session, started_by="play"), synthesizer, player,
                        device, writer, on_step=progress.update)
    if stopped:
        progress.close()
        print(f"stopped at section {session.section_index + 1}", file=sys.stderr)
    return 0
