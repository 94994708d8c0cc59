"""Home Assistant MQTT discovery payloads: one device, its buttons, sensors, select, numbers.

One config message per entity on ``<prefix>/<component>/<node>/<object>/config`` (retained),
all tied to one device by ``device.identifiers`` and to the coach's availability topic. The
sensors read their fields from the one retained JSON state topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from voice_coach.commands import COMMANDS, WAKE
from voice_coach.core.session import (
    RATE_MAX,
    RATE_MIN,
    RATE_STEP,
    VOLUME_MAX,
    VOLUME_MIN,
    VOLUME_STEP,
)
from voice_coach.core.view import Activity
from voice_coach.home.topics import OFFLINE, ONLINE, Topics

BUTTONS: tuple[str, ...] = ("start", "pause", "resume", "next", "back", "repeat", "stop")
"""Buttons, pressed with their own name as the payload on the command topic."""
EVENT_TYPES: tuple[str, ...] = (WAKE, *COMMANDS, "choice", "yes", "no")
"""What the voice-command event entity may report ("choice": a routine picked by voice)."""

_ICONS = {"start": "mdi:play-circle", "pause": "mdi:pause", "resume": "mdi:play",
          "next": "mdi:skip-next", "back": "mdi:skip-previous", "repeat": "mdi:repeat",
          "stop": "mdi:stop"}


@dataclass(frozen=True)
class Entity:
    component: str
    """Home Assistant platform: "button", "sensor", "select", "number", "event"."""
    object_id: str
    config: dict[str, object]
    """The discovery payload, without the parts every entity shares."""


def software_version() -> str:
    try:
        return version("voice-coach")
    except PackageNotFoundError:
        return "unknown"


def device_block(topics: Topics, device_name: str) -> dict[str, object]:
    return {"identifiers": [f"voice_coach_{topics.node}"],
            "name": f"Voice coach ({device_name})", "manufacturer": "voice-coach",
            "model": "Bedside exercise coach", "sw_version": software_version()}


def entities(topics: Topics, routine_titles: Sequence[str]) -> list[Entity]:
    """Every entity of the coach (without the shared device and availability parts)."""
    state = topics.state
    out = [Entity("button", name, {"name": name.capitalize(), "command_topic": topics.command,
                                   "payload_press": name, "icon": _ICONS[name]})
           for name in BUTTONS]
    out.append(Entity("select", "routine", {
        "name": "Routine", "command_topic": topics.routine_set, "state_topic": state,
        "value_template": "{{ value_json.selected }}",
        "options": list(routine_titles) or ["(none installed)"], "icon": "mdi:yoga"}))
    out += [
        Entity("sensor", "state", {
            "name": "State", "state_topic": state, "value_template": "{{ value_json.state }}",
            "device_class": "enum", "options": [str(a) for a in Activity],
            "json_attributes_topic": state,
            "json_attributes_template": "{{ {'notice': value_json.notice} | tojson }}"}),
        Entity("sensor", "current_routine", {
            "name": "Current routine", "state_topic": state,
            "value_template": "{{ value_json.routine }}", "icon": "mdi:yoga"}),
        Entity("sensor", "section", {
            "name": "Section", "state_topic": state,
            "value_template": "{{ value_json.section }}", "icon": "mdi:format-list-numbered"}),
        Entity("sensor", "time_left", {
            "name": "Time left", "state_topic": state,
            "value_template": "{{ value_json.time_left }}", "device_class": "duration",
            "unit_of_measurement": "min", "suggested_display_precision": 0}),
        Entity("sensor", "last_command", {
            "name": "Last command", "state_topic": state,
            "value_template": "{{ value_json.last_command }}", "icon": "mdi:account-voice"}),
        Entity("event", "voice_command", {
            "name": "Voice command", "state_topic": topics.event,
            "event_types": list(EVENT_TYPES), "icon": "mdi:microphone"}),
        Entity("number", "rate", {
            "name": "Speech rate", "command_topic": topics.setting_set("rate"),
            "state_topic": state, "value_template": "{{ value_json.rate }}",
            "min": RATE_MIN, "max": RATE_MAX, "step": RATE_STEP, "mode": "slider",
            "icon": "mdi:speedometer"}),
        Entity("number", "volume", {
            "name": "Volume", "command_topic": topics.setting_set("volume"),
            "state_topic": state, "value_template": "{{ value_json.volume }}",
            "min": VOLUME_MIN, "max": VOLUME_MAX, "step": VOLUME_STEP, "mode": "slider",
            "icon": "mdi:volume-high"}),
    ]
    return out


def discovery_messages(topics: Topics, device_name: str,
                       routine_titles: Sequence[str]) -> list[tuple[str, dict[str, object]]]:
    """(config topic, payload) for every entity, ready to publish retained."""
    device = device_block(topics, device_name)
    shared: dict[str, object] = {
        "availability_topic": topics.availability, "payload_available": ONLINE,
        "payload_not_available": OFFLINE, "device": device,
        "origin": {"name": "voice-coach", "sw_version": software_version()},
    }
    return [(topics.config(e.component, e.object_id),
             {**e.config, **shared, "unique_id": f"voice_coach_{topics.node}_{e.object_id}"})
            for e in entities(topics, routine_titles)]
