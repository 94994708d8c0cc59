"""Home Assistant <-> the Daemon: commands in through the same path as spoken ones, the
coach's state out when it changes.

Threads: messages arrive on the link's thread and are only checked and posted to the Daemon
(thread-safe); the state is read from the Dialogue on the driving thread (a step or log
listener) and handed to the link as text.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from voice_coach.config import Config
from voice_coach.core.dialogue import Dialogue
from voice_coach.core.events import CommandHeard, Event, SettingRequested, StartRequested
from voice_coach.core.view import coach_view
from voice_coach.home.discovery import EVENT_TYPES, discovery_messages
from voice_coach.home.link import MqttLink
from voice_coach.home.remote import Birth, Press, Rejected, Select, Setting, parse
from voice_coach.home.settings import BrokerSettings, broker_settings
from voice_coach.home.status import LastCommand, state_payload
from voice_coach.home.topics import ONLINE, Topics, node_id

log = logging.getLogger(__name__)

REFRESH_S = 1.0
"""Stream seconds between looks at the coach's state (time left moves on its own)."""
SOURCE = "home assistant"
"""The ``text`` of commands from Home Assistant in the event log."""

class LogEntryLike(Protocol):
    """voice_coach.app.executor.LogEntry."""

    @property
    def kind(self) -> str: ...
    @property
    def detail(self) -> dict[str, object]: ...


class DaemonLike(Protocol):
    """voice_coach.app.daemon.Daemon, as far as the bridge uses it."""

    dialogue: Dialogue
    step_listeners: list[Callable[[float], None]]

    @property
    def log_listeners(self) -> list[Callable[[Any], None]]:
        """Called with each LogEntry (typed loosely: the list is the Daemon's own)."""
        ...
    def post(self, event: Event) -> None: ...


Traffic = Callable[[str, str, str], None]
"""Sees every message: (direction "out"/"in", topic, payload text)."""


class HomeBridge:
    """Makes the Daemon a Home Assistant device over ``link``."""

    def __init__(self, settings: BrokerSettings, daemon: DaemonLike,
                 on_traffic: Traffic | None = None) -> None:
        self.settings = settings
        self.daemon = daemon
        self.topics = Topics(node_id(settings.device_name), settings.discovery_prefix)
        self.on_traffic = on_traffic
        dialogue = daemon.dialogue
        self._ids = {option.title: option.id for option in dialogue.routines.values()}
        self._titles = {option.id: option.title for option in dialogue.routines.values()}
        last = dialogue.last_routine
        self._selected = last if last in self._titles else next(iter(self._titles), "")
        self._last: LastCommand | None = None
        self._notice = ""
        self._finished = False
        self._lock = threading.Lock()
        self._state_text = ""
        """The latest state message (the link thread republishes it on connection)."""
        self._sent_state = ""
        self._next_refresh = 0.0
        self._dirty = threading.Event()
        self.received = 0
        """Messages from Home Assistant handled (accepted or not)."""
        self.rejected = 0
        self.link = MqttLink(settings, self.topics, self._message, self._connected)
        daemon.log_listeners.append(self._observe)
        daemon.step_listeners.append(self._tick)

    def start(self) -> None:
        self._refresh()
        self.link.start()

    def stop(self) -> None:
        self._refresh()
        self.link.stop()
        self.daemon.log_listeners.remove(self._observe)
        self.daemon.step_listeners.remove(self._tick)

    # --- the link's thread ---------------------------------------------------------------

    def _connected(self) -> None:
        titles = list(self._titles.values())
        for topic, payload in discovery_messages(self.topics, self.settings.device_name,
                                                 titles):
            self._send(topic, json.dumps(payload), retain=True)
        self._send(self.topics.availability, ONLINE, retain=True, qos=1)
        with self._lock:
            state = self._state_text
        if state:
            self._send(self.topics.state, state, retain=True)

    def _message(self, topic: str, payload: bytes) -> None:
        self.received += 1
        if self.on_traffic is not None:
            self.on_traffic("in", topic, payload[:80].decode("utf-8", "replace"))
        request = parse(self.topics, topic, payload, self._ids)
        match request:
            case Rejected():
                self.rejected += 1
                log.warning("home assistant: ignored: %s", request.reason)
            case Birth():
                self._connected()
            case Press(button="start"):
                routine = self._selected
                if not routine:
                    log.warning("home assistant: start pressed, but no routine is installed")
                    return
                confirm = self.settings.remote_start != "immediate"
                self.daemon.post(StartRequested(routine, confirm))
            case Press():
                self.daemon.post(CommandHeard(request.button, 1.0, SOURCE, None, "home"))
            case Select():
                self._selected = request.routine_id
                self._dirty.set()
            case Setting():
                self.daemon.post(SettingRequested(request.name, request.value))

    def _send(self, topic: str, payload: str, *, retain: bool = False, qos: int = 0) -> None:
        if self.on_traffic is not None:
            self.on_traffic("out", topic, payload)
        self.link.publish(topic, payload, retain=retain, qos=qos)

    # --- the driving thread --------------------------------------------------------------

    def _observe(self, entry: LogEntryLike) -> None:
        d = entry.detail
        if entry.kind == "heard":
            source = str(d.get("source", "voice"))
            command = str(d.get("command", ""))
            self._last = LastCommand(command, source)
            if source == "voice":
                kind = command if command in EVENT_TYPES else "choice"
                self._send(self.topics.event, json.dumps({
                    "event_type": kind, "command": command, "text": d.get("text", ""),
                    "confidence": d.get("confidence", 1.0)}))
        elif entry.kind == "notice":
            self._notice = str(d.get("text", ""))
        elif entry.kind == "ended":
            self._finished = True
        elif entry.kind in ("earcon", "session"):
            self._finished, self._notice = False, ""
        self._refresh()

    def _tick(self, now: float) -> None:
        if now >= self._next_refresh or self._dirty.is_set():
            self._next_refresh = now + REFRESH_S
            self._dirty.clear()
            self._refresh()

    def _refresh(self) -> None:
        view = coach_view(self.daemon.dialogue, self._finished)
        text = state_payload(view, self._titles.get(self._selected, ""), self._last,
                             self._notice)
        if text == self._sent_state:
            return
        with self._lock:
            self._state_text = text
        self._sent_state = text
        self._send(self.topics.state, text, retain=True)


def home_bridge(config: Config, daemon: DaemonLike, settings: BrokerSettings | None = None,
                on_traffic: Traffic | None = None) -> HomeBridge | None:
    """The bridge ``config`` asks for (not started), or None when Home Assistant is off."""
    if settings is None:
        if not config.ha_enabled:
            return None
        settings = broker_settings(config)
    return HomeBridge(settings, daemon, on_traffic)
