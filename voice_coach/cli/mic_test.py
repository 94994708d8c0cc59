"""``voice-coach mic-test``: a level meter for the microphone, and what the listener hears.

Meant to be run from bed while setting the capture gain: a live meter (on a terminal), then
the room's level, the speech level and peak, clipping, every command the listener heard with
its confidence, and what to change. ``--from FILE.wav`` measures a recording the same way.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from voice_coach.config import add_config_argument, load_config

METER_EVERY_S = 0.25
"""How often the live meter line is redrawn, s."""
METER_WIDTH = 30
METER_FLOOR_DBFS = -70.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mic-test",
        help="a level meter for the microphone, and what the listener hears",
        description="Speak from where you lie: shows the microphone's level live, then the "
        "room's level, your speech level and peak, clipping, the commands heard (with "
        "confidence) and what to change. Exit 1 when something should be changed.",
    )
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="how long to listen (default 15; Ctrl-C ends early)")
    parser.add_argument("--device", default=None, metavar="NAME|INDEX",
                        help="microphone (see `devices`; default: config, else the system's)")
    parser.add_argument("--from", dest="source", type=Path, default=None, metavar="FILE.wav",
                        help="measure a recording instead of the microphone")
    parser.add_argument("--listen-for", choices=("commands", "wake"), default="commands",
                        help="commands (default) or the wake phrase")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voice_coach.app.mic_meter import MicMeter
    from voice_coach.audio import LISTEN_RATE
    from voice_coach.listen.build import build_listener
    from voice_coach.listen.resample import Resampler

    config = load_config(args.config)
    listener = build_listener(config, mic_rate=LISTEN_RATE)
    listener.set_mode("wake" if args.listen_for == "wake" else "session")
    source = _open(args, config)
    resampler = Resampler(source.rate, LISTEN_RATE)
    meter = MicMeter()
    live = sys.stderr.isatty() and args.source is None
    what = f"'{listener.table.wake}'" if args.listen_for == "wake" else "a command, e.g. 'pause'"
    if args.source is None:
        print(f"speak now: say {what} from where you lie ({args.seconds:.0f} s)", flush=True)
    heard_any = False
    drawn = 0.0
    end = time.monotonic() + args.seconds

    def take(got: tuple[Any, float]) -> None:
        nonlocal heard_any, drawn
        block = resampler.process(got[0])
        meter.add(block)
        heard = listener.process(block, got[1])
        if live and (heard or time.monotonic() - drawn >= METER_EVERY_S):
            _draw(meter)
            drawn = time.monotonic()
        heard_any |= _report(heard, live)

    try:
        while time.monotonic() < end:
            got = source.read(timeout=0.5)
            if got is None:
                if getattr(source, "finite", False):
                    break
                continue
            take(got)
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
    # A busy machine falls behind the microphone: what was recorded is still judged.
    while (got := source.read(timeout=0)) is not None:
        take(got)
    heard_any |= _report(listener.flush(), live)
    if live:
        print(file=sys.stderr)
    return _summary(meter, heard_any)


def _open(args: argparse.Namespace, config: Any) -> Any:
    from voice_coach.listen.sources import DeviceSource, WavSource

    if args.source is not None:
        return WavSource(args.source)
    from voice_coach.app.live_mic import input_rate
    from voice_coach.audio_devices import resolve_device

    device = args.device if args.device is not None else config.input_device
    if isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    return DeviceSource(device, input_rate(resolve_device(device, "input")))


def _draw(meter: Any) -> None:
    level, peak = meter.now()
    filled = round(METER_WIDTH * min(1.0, max(0.0, 1 - level / METER_FLOOR_DBFS)))
    bar = "#" * filled + " " * (METER_WIDTH - filled)
    talk = "speech" if meter.speaking else "      "
    print(f"\r  {level:6.1f} dBFS |{bar}| peak {peak:6.1f}  {talk}", end="", file=sys.stderr,
          flush=True)


def _report(heard: list[Any], live: bool) -> bool:
    for h in heard:
        if live:
            print(file=sys.stderr)
        print(f"heard '{h.command}' ({h.confidence:.2f}) from \"{h.text}\"", flush=True)
    return bool(heard)


def _summary(meter: Any, heard_any: bool) -> int:
    levels = meter.levels()
    print(f"room: {levels.room_dbfs:.0f} dBFS between words")
    if levels.speech_dbfs is not None:
        print(f"speech: {levels.speech_dbfs:.0f} dBFS, peaks {levels.speech_peak_dbfs:.0f} dBFS "
              f"({levels.speech_seconds:.1f} s of speech)")
    print(f"clipping: {levels.clipped} samples" if levels.clipped else "clipping: none")
    if not heard_any:
        print("heard: no command (say one clearly, or check the level advice below)")
    for problem in levels.problems:
        print(f"problem: {problem}")
    if not levels.problems:
        print("OK: the level suits the listener")
    return 1 if levels.problems else 0
