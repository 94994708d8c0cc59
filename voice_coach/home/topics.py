"""Where the coach publishes and listens on the broker."""

from __future__ import annotations

import re
from dataclasses import dataclass

ONLINE, OFFLINE = "online", "offline"
"""Payloads of the availability topic (the offline one is also the last will)."""


def node_id(device_name: str) -> str:
    """``device_name`` as a topic level: lower case letters, digits, "_" ("Bed room" ->
    "bed_room")."""
    slug = re.sub(r"[^a-z0-9]+", "_", device_name.lower()).strip("_")
    return slug or "coach"


@dataclass(frozen=True)
class Topics:
    """The coach's own topics under ``voice_coach/<node>`` and Home Assistant's."""

    node: str
    """Topic-safe device id, from the device name."""
    discovery_prefix: str = "homeassistant"

    @property
    def base(self) -> str:
        return f"voice_coach/{self.node}"

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def state(self) -> str:
        """Retained JSON: every sensor reads its field from it."""
        return f"{self.base}/state"

    @property
    def event(self) -> str:
        """A command heard by voice (not retained: an event, not a state)."""
        return f"{self.base}/event"

    @property
    def command(self) -> str:
        """Button presses: the payload is the command ("pause", "start" ...)."""
        return f"{self.base}/command"

    @property
    def routine_set(self) -> str:
        return f"{self.base}/routine/set"

    def setting_set(self, name: str) -> str:
        return f"{self.base}/{name}/set"

    @property
    def birth(self) -> str:
        """Home Assistant says "online" here when it (re)starts."""
        return f"{self.discovery_prefix}/status"

    def config(self, component: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node}/{object_id}/config"

    @property
    def subscriptions(self) -> tuple[str, ...]:
        return (self.command, self.routine_set, self.setting_set("rate"),
                self.setting_set("volume"), self.birth)
