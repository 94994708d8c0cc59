"""``voice-coach devices``: list the microphones and speakers PortAudio can see."""

from __future__ import annotations

import argparse

from voice_coach.audio_devices import list_devices
from voice_coach.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "devices",
        help="list audio input/output devices",
        description="List audio devices with the index and name that input_device / "
        "output_device in the config accept.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    devices = list_devices()
    if not devices:
        raise UserError("no audio devices found: connect a microphone and speaker (check "
                        "'arecord -l' and 'aplay -l'; the user may need the 'audio' group)")
    print(f"{'index':>5}  {'in':>3} {'out':>3}  {'rate':>6}  name")
    for d in devices:
        marks = ("*in" if d.is_default_input else "") + (" *out" if d.is_default_output else "")
        print(f"{d.index:>5}  {d.max_input_channels:>3} {d.max_output_channels:>3}  "
              f"{d.default_samplerate:>6.0f}  {d.name} [{d.host_api}]{marks and ' ' + marks}")
    print("in/out = channels, rate = default Hz, * = system default; put the index or part of "
          "the name in config.toml [audio]")
    return 0
