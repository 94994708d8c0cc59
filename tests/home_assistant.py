"""Test helpers: a client that plays Home Assistant on a real broker, and what Home Assistant
requires of each discovery payload (from its MQTT documentation, one page per platform)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

REQUIRED: dict[str, tuple[str, ...]] = {
    # home-assistant.io/integrations/<platform>.mqtt: the variables marked "Required".
    "button": ("command_topic",),
    "select": ("command_topic", "options"),
    "sensor": ("state_topic",),
    "number": ("command_topic",),
    "event": ("state_topic", "event_types"),
}
"""Keys each platform's discovery payload must have."""
DISCOVERY_REQUIRED = ("unique_id", "device", "name")
"""Needed for an entity to join a device in the registry (a device needs ``unique_id``)."""
DURATION_UNITS = ("d", "h", "min", "s", "ms")


class HomeAssistant:
    """A real MQTT client subscribed like Home Assistant: discovery, the coach's topics."""

    def __init__(self, port: int, prefix: str = "homeassistant") -> None:
        self.prefix = prefix
        self.messages: list[tuple[float, str, bytes, bool]] = []
        self.latest: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-home-assistant")
        self.client.on_message = self._message
        self.client.on_connect = lambda c, *_: c.subscribe(
            [(f"{prefix}/#", 1), ("voice_coach/#", 1)])
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _message(self, _client: Any, _userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append((time.monotonic(), message.topic, message.payload,
                                  bool(message.retain)))
            self.latest[message.topic] = message.payload

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def configs(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            items = list(self.latest.items())
        return {t: json.loads(p) for t, p in items
                if t.startswith(self.prefix + "/") and t.endswith("/config") and p}

    def state(self, node: str) -> dict[str, Any]:
        with self._lock:
            payload = self.latest.get(f"voice_coach/{node}/state", b"")
        return json.loads(payload) if payload else {}

    def topic(self, topic: str) -> bytes | None:
        with self._lock:
            return self.latest.get(topic)

    def received(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for _t, name, p, _r in self.messages if name == topic]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def wait_for(condition: Callable[[], object], timeout: float = 10.0,
             step: Callable[[], None] | None = None) -> bool:
    """Poll ``condition`` (calling ``step`` in between, e.g. to advance a virtual room) for up
    to ``timeout`` wall seconds: generous, since a loaded machine runs the room slower than
    real time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if step is not None:
            step()
        else:
            time.sleep(0.02)
    return bool(condition())


def render_template(template: str, payload: dict[str, Any]) -> Any:
    """The value of ``{{ value_json.KEY }}`` (the only form the coach's templates use)."""
    inner = template.strip().removeprefix("{{").removesuffix("}}").strip()
    assert inner.startswith("value_json."), template
    return payload[inner.removeprefix("value_json.")]
