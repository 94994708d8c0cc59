"""The connection to the MQTT broker: one thread, paho-mqtt as a client, never a server.

The thread connects, keeps the connection (paho's ``loop``), and when the broker is down,
restarting or refusing, tries again with a doubling delay, capped; a refused login or a TLS
failure retries slowly. Each new cause is logged once, not every retry. Only this thread
reads and writes the socket: ``publish`` from another thread only queues the packet and wakes
this thread's ``select`` (paho's interface for outside event loops). A stop publishes
"offline" and disconnects cleanly (the broker's last will says "offline" when the coach dies
without one).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable

from voice_coach.home.settings import BrokerSettings
from voice_coach.home.topics import OFFLINE, Topics

log = logging.getLogger(__name__)

RETRY_S = (1.0, 60.0)
"""First and longest delay between tries when the broker cannot be reached."""
SLOW_RETRY_S = (30.0, 300.0)
"""The same after the broker refused the login or TLS failed (retrying fast changes nothing)."""
LOOP_S = 1.0
"""Longest wait in ``select``: queued messages and arrivals wake it at once."""
KEEPALIVE_S = 30
CONNECT_TIMEOUT_S = 5.0


class MqttLink:
    """A paho client on its own thread, connected whenever the broker lets it."""

    def __init__(self, settings: BrokerSettings, topics: Topics,
                 on_message: Callable[[str, bytes], None],
                 on_connected: Callable[[], None]) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.settings = settings
        self.topics = topics
        self._on_message = on_message
        self._on_connected = on_connected
        client = mqtt.Client(CallbackAPIVersion.VERSION2,
                             client_id=f"voice-coach-{topics.node}-{os.getpid()}",
                             protocol=mqtt.MQTTv311)
        client.will_set(topics.availability, OFFLINE, qos=1, retain=True)
        if settings.username is not None:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set(ca_certs=str(settings.ca_file) if settings.ca_file else None)
        client.connect_timeout = CONNECT_TIMEOUT_S
        client.on_connect = self._connected
        client.on_message = self._message
        client.on_subscribe = self._subscribed
        # Set, so that a publish from another thread never writes the socket itself.
        client.on_socket_register_write = lambda *_: None
        self._client = client
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: str | None = None
        self._cause: str | None = None
        self.connected = threading.Event()
        self.connections = 0
        """Successful connections so far (a reconnect counts again)."""

    # --- any thread ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="home-assistant", daemon=True)
        self._thread.start()

    def publish(self, topic: str, payload: str, *, retain: bool = False, qos: int = 0) -> None:
        """Send a message from any thread; dropped while the broker is away (nothing piles up
        overnight: the state is published afresh on every connection)."""
        if self.connected.is_set():
            self._client.publish(topic, payload, qos, retain)

    def stop(self, timeout: float = 3.0) -> None:
        """Say "offline", disconnect and end the thread."""
        self._stop.set()  # first: the publish below wakes the thread, which must then stop
        self.publish(self.topics.availability, OFFLINE, retain=True, qos=1)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("home assistant: the MQTT thread did not stop in %.0f s", timeout)
            self._thread = None

    @property
    def thread_id(self) -> int | None:
        """Native id of the link's thread (benchmarks read its CPU time)."""
        return self._thread.native_id if self._thread is not None else None

    # --- the link's thread ---------------------------------------------------------------

    def _run(self) -> None:
        import paho.mqtt.client as mqtt

        delays = RETRY_S
        delay = delays[0]
        while not self._stop.is_set():
            self._refused = None
            cause = self._connect()
            if cause is None:
                rc = self._stay_connected()
                self.connected.clear()
                if self._stop.is_set():
                    break
                cause = self._refused or f"connection lost ({mqtt.error_string(rc)})"
            slow = self._refused is not None or "TLS" in cause
            if slow and delays is not SLOW_RETRY_S:
                delays, delay = SLOW_RETRY_S, SLOW_RETRY_S[0]
            elif not slow and delays is not RETRY_S:
                delays, delay = RETRY_S, RETRY_S[0]
            if cause != self._cause:
                log.warning("home assistant: %s: %s; trying again (every %.0f s at most); "
                            "voice control works meanwhile", self.settings.address, cause,
                            delays[1])
                self._cause = cause
            self._stop.wait(delay)
            delay = min(delay * 2, delays[1])
        self._client.disconnect()
        self.connected.clear()

    def _connect(self) -> str | None:
        """None once the TCP (and TLS) connection is up, else why not."""
        try:
            self._client.connect(self.settings.host, self.settings.port, KEEPALIVE_S)
        except ssl.SSLCertVerificationError as error:
            return (f"TLS failed (certificate verify failed: {error.verify_message}; "
                    "is [home_assistant] ca_file the broker's CA?)")
        except ssl.SSLError as error:
            return f"TLS failed ({error.reason or error})"
        except ssl.CertificateError as error:
            return f"TLS failed ({error})"
        except socket.gaierror:
            return "unknown host"
        except ConnectionRefusedError:
            return "connection refused (is the broker running?)"
        except (ConnectionResetError, BrokenPipeError) as error:
            if not self.settings.tls:
                return error.strerror or str(error)
            return ("TLS failed (the broker closed the connection in the handshake: does it "
                    f"serve TLS on port {self.settings.port}?)")
        except TimeoutError:
            return "no answer (timed out)"
        except OSError as error:
            return error.strerror or str(error)
        return None

    def _stay_connected(self) -> int:
        """Run paho's loop and send queued messages until the connection ends or a stop."""
        import paho.mqtt.client as mqtt

        while True:
            if self._stop.is_set():
                self._client.loop(0.2)  # let "offline" out before the DISCONNECT
                return mqtt.MQTT_ERR_SUCCESS
            rc = self._client.loop(LOOP_S)
            if rc != mqtt.MQTT_ERR_SUCCESS:
                return int(rc)

    def _connected(self, client: object, userdata: object, flags: object, reason: object,
                   properties: object) -> None:
        if getattr(reason, "is_failure", False):
            self._refused = f"the broker refused the connection: {reason} (check [home_" \
                            f"assistant] username and password)"
            return
        self.connections += 1
        if self._cause is not None:
            log.warning("home assistant: connected to %s again", self.settings.address)
        else:
            log.info("home assistant: connected to %s", self.settings.address)
        self._cause = None
        self._client.subscribe([(topic, 1) for topic in self.topics.subscriptions])

    def _subscribed(self, client: object, userdata: object, mid: object, reasons: object,
                    properties: object) -> None:
        # Online only once subscribed: whoever sees the coach online may press at once.
        if any(getattr(r, "is_failure", False) for r in reasons or ()):  # type: ignore[attr-defined]
            log.warning("home assistant: the broker refused a subscription: %s", reasons)
        self.connected.set()
        self._on_connected()

    def _message(self, client: object, userdata: object, message: object) -> None:
        topic = str(getattr(message, "topic", ""))
        payload = getattr(message, "payload", b"")
        try:
            self._on_message(topic, payload if isinstance(payload, bytes) else b"")
        except Exception:  # noqa: BLE001 - nothing from the network may end the link
            log.exception("home assistant: handling a message on %s failed", topic)
