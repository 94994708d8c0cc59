"""``voice-coach selftest``: play a line through the speaker, listen with the microphone."""

from __future__ import annotations

import argparse

from voice_coach.config import add_config_argument, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "selftest",
        help="check the speaker and microphone together (the coach says one line)",
        description="The coach says one line through the configured speaker while the "
        "configured microphone listens: does the mic hear the speaker, with what delay and "
        "level, any clipping, underflows or overflows. Exit 1 when something is wrong.",
    )
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voice_coach.app.selftest import self_test

    config = load_config(args.config)
    result = self_test(config)
    delay = result.delay
    print(f"speaker: output latency {result.output_latency_s * 1000:.0f} ms, "
          f"{result.underflows} underflows")
    print(f"microphone: {result.mic_rate} Hz, room {result.noise_dbfs:.0f} dBFS, "
          f"while the coach spoke {result.echo_dbfs:.0f} dBFS, {result.clipped} clipped samples, "
          f"{result.overflows} overflows")
    if delay is not None and result.delay_known:
        print(f"echo path: {delay.delay_s * 1000:.0f} ms from speaker to microphone "
              f"(confidence {delay.confidence:.2f})")
    elif result.heard:
        print("echo path: heard, but its delay could not be measured this time")
    for problem in result.problems:
        print(f"problem: {problem}")
    if not result.problems:
        print(f"OK: the microphone hears the speaker; say '{config.wake}' with "
              "`voice-coach run`")
    return 1 if result.problems else 0
