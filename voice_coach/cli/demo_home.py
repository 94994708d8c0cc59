"""``demo --home-assistant``: the simulated-room demo as a Home Assistant device, with the
MQTT traffic printed beside the event log. Home Assistant's part (choosing a routine and
pressing start on a dashboard) is played by a second MQTT client; the user answers "yes"."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from voice_coach.app.virtual_room import UserLine
from voice_coach.config import Config
from voice_coach.errors import UserError
from voice_coach.home.settings import BrokerSettings, broker_settings
from voice_coach.home.topics import Topics

ROUTINE_TITLE = "Lower back and hip release"
CONNECT_S = 10.0


def home_lines(lines: tuple[UserLine, ...]) -> tuple[UserLine, ...]:
    """The demo's lines with the wake phrase and the spoken choice replaced by a "yes" to the
    coach's offer (Home Assistant chose the routine and pressed start)."""
    yes = UserLine("yes", after="is ready. Say yes", delay=4.0, until="heard:yes")
    return (yes, *(line for line in lines if line.until not in ("heard:wake",
                                                                 "heard:lower-back-hip")))


def parse_broker(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise UserError(f"--broker {text!r}: expected HOST:PORT, e.g. 127.0.0.1:1883")
    return host, int(port)


@contextmanager
def demo_broker(config: Config, address: str | None) -> Iterator[BrokerSettings]:
    """Settings for the broker given, or for a private Mosquitto started for the demo."""
    from voice_coach.home.local_broker import LocalBroker

    settings = replace(broker_settings(config) if config.ha_enabled else BrokerSettings(),
                       device_name=config.ha_device_name or "demo")
    if address is not None:
        host, port = parse_broker(address)
        yield replace(settings, host=host, port=port)
        return
    with LocalBroker() as broker:
        print(f"mqtt: started mosquitto on 127.0.0.1:{broker.port} for the demo",
              file=sys.stderr)
        yield replace(settings, host="127.0.0.1", port=broker.port, username=None,
                      password=None, tls=False)


class TrafficPrinter:
    """Prints MQTT messages briefly: discovery by entity, state by what changed."""

    def __init__(self, clock: Callable[[], str]) -> None:
        self.clock = clock
        self._state: dict[str, object] = {}

    def __call__(self, direction: str, topic: str, payload: str) -> None:
        arrow = ">" if direction == "out" else "<"
        text = payload
        if topic.endswith("/config"):
            try:
                config = json.loads(payload)
            except ValueError:
                config = {}
            text = f"discovery: {topic.split('/')[1]} {config.get('name', '')!r}"
        elif topic.endswith("/state"):
            state = json.loads(payload)
            changed = {k: v for k, v in state.items() if self._state.get(k) != v}
            self._state = state
            text = " ".join(f"{k}={v}" for k, v in sorted(changed.items())) or "(same)"
        print(f"{self.clock()} mqtt {arrow} {topic} {text}", flush=True)


def press_start(settings: BrokerSettings, topics: Topics) -> None:
    """Play Home Assistant: pick the routine on the dashboard, press start."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="voice-coach-demo-home")
    if settings.username is not None:
        client.username_pw_set(settings.username, settings.password)
    if settings.tls:
        client.tls_set(ca_certs=str(settings.ca_file) if settings.ca_file else None)
    client.connect(settings.host, settings.port)
    client.loop_start()
    try:
        for topic, payload in ((topics.routine_set, ROUTINE_TITLE), (topics.command, "start")):
            client.publish(topic, payload, qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise UserError(what)
        time.sleep(0.02)
