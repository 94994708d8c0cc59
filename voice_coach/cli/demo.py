"""``voice-coach demo``: the whole product with no hardware.

The real ``run`` loop (Daemon, Dialogue, Session, Piper, Player, Listener) runs through a
simulated bedside room on a virtual clock, with a synthesized user (a Festival voice, not the
coach's) who wakes the coach, picks a routine, pauses, resumes, asks for a repeat, skips and
stops. The event log is printed as it goes; ``--to`` writes what the microphone heard (left)
and what the coach said (right) as a stereo WAV.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from voice_coach.app.executor import LogEntry
from voice_coach.app.virtual_room import UserLine, event_key
from voice_coach.config import Config, add_config_argument, load_config
from voice_coach.errors import UserError

if TYPE_CHECKING:
    from voice_coach.app.virtual_scene import Scene
    from voice_coach.home.bridge import HomeBridge
    from voice_coach.home.settings import BrokerSettings

DEMO_LINES: tuple[UserLine, ...] = (
    UserLine("hey coach", delay=1.5, until="heard:wake"),
    UserLine("lower back", after="say:Which practice?", delay=1.5,
             until="heard:lower-back-hip"),
    UserLine("pause", after="say:Let your whole body grow heavy", delay=2.8,
             until="heard:pause"),
    UserLine("resume", after="say:Paused.", delay=4.5, until="heard:resume"),
    UserLine("repeat", after="heard:resume", delay=4.0, until="heard:repeat"),
    UserLine("skip", after="heard:repeat", delay=5.5, until="heard:next"),
    UserLine("stop", after="heard:next", delay=4.3, voice="festival:ked", until="heard:stop"),
)
"""What the simulated user says, each line after a moment of the session (see UserLine);
like a person who is not obeyed, they say a line again (the listener misses some commands).
Each trigger is a moment that always follows the previous line being obeyed: a coach line
may already have gone by while the user was still saying the previous command again."""


DEMO_CAPTURE_GAIN_DB = -10.0
"""The demo microphone's capture gain, set as the README advises for a real one: the user's
words (Festival's full-scale voices) peak around -12 dBFS at the mic, as do the coach's
echoes, well clear of clipping. The room itself is shared with the tests and the soak bench,
whose levels stay as they are."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the whole hands-free coach in a simulated room (no microphone or speaker)",
        description="Run the live daemon's loop through a simulated room with a synthesized "
                    "user who wakes the coach, picks a routine, pauses, resumes, asks for a "
                    "repeat, skips and stops. Prints the event log.",
    )
    parser.add_argument("--to", type=Path, default=None, metavar="FILE.wav",
                        help="write a stereo WAV: left = microphone, right = coach")
    parser.add_argument("--max-minutes", type=float, default=6.0, metavar="M",
                        help="give up after this much virtual time (default 6)")
    parser.add_argument("--verbose", action="store_true", help="print every event")
    parser.add_argument("--home-assistant", action="store_true",
                        help="be a Home Assistant device on an MQTT broker (it picks the "
                             "routine and presses start) and print the MQTT traffic")
    parser.add_argument("--broker", default=None, metavar="HOST:PORT",
                        help="the broker for --home-assistant (default: start a private "
                             "mosquitto on 127.0.0.1)")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.broker is not None and not args.home_assistant:
        raise UserError("--broker goes with --home-assistant")
    if not args.home_assistant:
        return run_demo(args, config)
    from voice_coach.cli.demo_home import demo_broker

    with demo_broker(config, args.broker) as settings:
        return run_demo(args, config, settings)


def run_demo(args: argparse.Namespace, config: Config,
             home: BrokerSettings | None = None) -> int:
    from voice_coach.app.virtual_scene import StereoSink

    started = time.monotonic()
    printer = EventPrinter(verbose=args.verbose)
    lines = DEMO_LINES
    if home is not None:
        from voice_coach.cli.demo_home import home_lines

        lines = home_lines(DEMO_LINES)
    with tempfile.TemporaryDirectory(prefix="voice-coach-demo-") as tmp:
        scene = demo_scene(config, lines, Path(tmp) / "state", printer)
        bridge = start_home(scene, home) if home is not None else None
        sink = StereoSink(args.to, scene.room.rate_out, scene.player.sample_rate) \
            if args.to is not None else None
        scene.driver.sink = sink.write if sink is not None else None
        try:
            end = scene.driver.run(args.max_minutes * 60.0, until=scene.finished)
            scene.daemon.shutdown(end)
        except BaseException:
            if sink is not None:
                sink.abort()
            raise
        finally:
            if bridge is not None:
                bridge.stop()
            scene.close()
        if sink is not None:
            sink.close()
    wall = time.monotonic() - started
    heard = scene.daemon.commands_heard
    print(f"demo: {clock(end)} of virtual time in {wall:.0f} s; {heard} commands heard; "
          f"state {scene.daemon.state}", file=sys.stderr)
    if args.to is not None:
        print(f"wrote {args.to} (left: microphone, right: coach)", file=sys.stderr)
    if not scene.finished():
        said = [text for _start, _end, text in scene.user.said]
        print(f"demo: did not get through the script in {args.max_minutes:g} virtual minutes; "
              f"the user said {said}", file=sys.stderr)
        return 1
    return 0


def demo_scene(config: Config, lines: Sequence[UserLine], state_dir: Path,
               on_log: Callable[[LogEntry], None] | None = None) -> Scene:
    """The demo's simulated room, user and microphone around the real daemon."""
    from voice_coach.app.virtual_room import CaptureGain
    from voice_coach.app.virtual_scene import build_scene

    return build_scene(config, lines, state_dir=state_dir, on_log=on_log,
                       mic=CaptureGain(DEMO_CAPTURE_GAIN_DB))


def start_home(scene: Scene, settings: BrokerSettings) -> HomeBridge:
    """Connect the scene's daemon to the broker, then press start as Home Assistant would."""
    from voice_coach.cli.demo_home import CONNECT_S, TrafficPrinter, press_start, wait_until
    from voice_coach.home.bridge import HomeBridge

    traffic = TrafficPrinter(lambda: clock(scene.player.time))
    bridge = HomeBridge(settings, scene.daemon, on_traffic=traffic)
    bridge.start()
    try:
        wait_until(bridge.link.connected.is_set, CONNECT_S,
                   f"cannot reach the MQTT broker at {settings.address}")
        press_start(settings, bridge.topics)
        wait_until(lambda: bridge.received >= 2, CONNECT_S,
                   "the broker did not pass Home Assistant's start on")
    except BaseException:
        bridge.stop()
        raise
    return bridge


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


class EventPrinter:
    """Prints the event log: what the user said, what was heard and what it did, the coach."""

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose

    def __call__(self, entry: LogEntry) -> None:
        text = self.format(entry)
        if text:
            print(f"{clock(entry.time)} {text}", flush=True)

    def format(self, entry: LogEntry) -> str:
        d = entry.detail
        if entry.kind == "heard":
            where = " from home assistant" if d.get("source") == "home" else ""
            return f"heard '{d['command']}' ({d['confidence']:.2f}){where} -> {d['outcome']}"
        if entry.kind == "notice":
            return f"note: {d['text']}"
        if entry.kind == "say":
            return f"coach: {d['text']}"
        if entry.kind == "user":
            return f"user says: {d['text']!r}"
        if entry.kind == "earcon":
            return "(chime: listening)"
        if entry.kind == "session":
            verb = "resumed" if d.get("resumed") else "started"
            start = d["start"]
            assert isinstance(start, int)
            return f"session {verb}: {d['routine']} at step {start + 1}"
        if entry.kind == "ended":
            return f"session ended ({d['how']}): {d['routine']}"
        if entry.kind == "device":
            return f"{d['device']} {'lost' if d['lost'] else 'back'}"
        return event_key(entry) if self.verbose else ""

