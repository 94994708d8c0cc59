"""Home Assistant faults on a real Mosquitto: broker down at start, restarted mid-session,
wrong password, TLS against a plain port, and what the link must never do (leak threads,
spin, listen on a port, log the password). Voice control keeps working throughout."""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from home_assistant import HomeAssistant, wait_for

from voice_coach.app.virtual_room import UserLine
from voice_coach.app.virtual_scene import Scene, build_scene
from voice_coach.config import Config, load_config
from voice_coach.errors import UserError
from voice_coach.home.bridge import HomeBridge
from voice_coach.home.link import MqttLink
from voice_coach.home.local_broker import LocalBroker, free_port
from voice_coach.home.settings import BrokerSettings, broker_settings
from voice_coach.home.topics import Topics
from voice_coach.speech import Synthesizer

NODE = "test_bed"
SECRET = "s3cret-Pa55"


@pytest.fixture(scope="module")
def synthesizer() -> Iterator[Synthesizer]:
    synth = Synthesizer()
    yield synth
    synth.close()


def settings_for(port: int, **kw: object) -> BrokerSettings:
    return BrokerSettings(host="127.0.0.1", port=port, device_name="Test bed",
                          **kw)  # type: ignore[arg-type]


def woken(tmp_path: Path, synthesizer: Synthesizer) -> Scene:
    return build_scene(Config(), [UserLine("hey coach", delay=1.0, until="heard:wake")],
                       state_dir=tmp_path / "state", synthesizer=synthesizer)


def home_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("voice_coach.home")]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def test_broker_down_at_start_then_up_and_restarted_mid_session(
        tmp_path: Path, synthesizer: Synthesizer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    threads = threading.active_count()
    scene = woken(tmp_path, synthesizer)
    bridge = HomeBridge(settings_for(port), scene.daemon)
    broker = LocalBroker(port)
    try:
        bridge.start()
        # No broker: the coach works by voice as usual, one line in the log, no busy loop.
        before = cpu_seconds()
        started = time.monotonic()
        scene.driver.run(20.0, until=lambda: scene.daemon.commands_heard > 0)
        assert [e.detail["command"] for e in scene.log if e.kind == "heard"] == ["wake"]
        time.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
        down = [m for m in home_messages(caplog) if "connection refused" in m]
        assert len(down) == 1 and "voice control works meanwhile" in down[0]
        # The link's share of those seconds: its thread waits between tries.
        link_cpu = _thread_cpu(bridge.link)
        assert link_cpu < 0.05, link_cpu
        assert cpu_seconds() - before < 20, "the room itself dominates; sanity bound"

        # The broker comes up: the link connects within its backoff and publishes.
        broker.start()
        ha = HomeAssistant(port)
        assert wait_for(lambda: ha.state(NODE).get("state") in ("choosing", "idle"), 15,
                        lambda: scene.driver.run(0.05))
        assert len(ha.configs()) == 16
        connections = bridge.link.connections

        # Restarted (no persistence: everything retained is gone): all published again.
        ha.close()
        broker.stop()
        scene.driver.run(2.0)
        broker.start()
        ha = HomeAssistant(port)
        assert wait_for(lambda: len(ha.configs()) == 16 and ha.state(NODE), 20,
                        lambda: scene.driver.run(0.05))
        assert bridge.link.connections == connections + 1
        assert ha.topic(f"voice_coach/{NODE}/availability") == b"online"
        assert any("connected to" in m and "again" in m for m in home_messages(caplog))
        ha.close()
    finally:
        bridge.stop()
        broker.close()
        scene.close()
    assert wait_for(lambda: threading.active_count() <= threads, 5), threading.enumerate()


def _thread_cpu(link: MqttLink) -> float:
    tid = link.thread_id
    assert tid is not None
    fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def test_home_assistant_restart_republishes_on_its_birth_message(
        tmp_path: Path, synthesizer: Synthesizer) -> None:
    with LocalBroker() as broker:
        scene = woken(tmp_path, synthesizer)
        bridge = HomeBridge(settings_for(broker.port), scene.daemon)
        ha = HomeAssistant(broker.port)
        try:
            bridge.start()
            assert wait_for(lambda: len(ha.configs()) == 16, 10, lambda: scene.driver.run(0.05))
            # Home Assistant wiped its view (as after a restart) and says it is back.
            for topic in list(ha.configs()):
                ha.publish(topic, b"", retain=True)
            assert wait_for(lambda: not ha.configs(), 5)
            ha.publish("homeassistant/status", "online")
            assert wait_for(lambda: len(ha.configs()) == 16, 10, lambda: scene.driver.run(0.05))
        finally:
            bridge.stop()
            ha.close()
            scene.close()


def test_wrong_password_is_one_clear_line_and_voice_keeps_working(
        tmp_path: Path, synthesizer: Synthesizer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with LocalBroker(users={"coach": SECRET}) as broker:
        scene = woken(tmp_path, synthesizer)
        bridge = HomeBridge(settings_for(broker.port, username="coach", password="wrong-" + SECRET),
                            scene.daemon)
        try:
            bridge.start()
            scene.driver.run(20.0, until=lambda: scene.daemon.commands_heard > 0)
            assert scene.daemon.commands_heard == 1
            assert wait_for(lambda: any("refused" in m for m in home_messages(caplog)), 5)
            time.sleep(1.5)
            refused = [m for m in home_messages(caplog) if "refused" in m]
            assert len(refused) == 1, refused
            assert "username and password" in refused[0] and "every 300 s" in refused[0]
        finally:
            bridge.stop()
            scene.close()
        # The right password connects.
        scene = woken(tmp_path, synthesizer)
        bridge = HomeBridge(settings_for(broker.port, username="coach", password=SECRET),
                            scene.daemon)
        try:
            bridge.start()
            assert bridge.link.connected.wait(5)
        finally:
            bridge.stop()
            scene.close()
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET not in everything


def test_tls_failure_is_named_and_retried_slowly(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with LocalBroker() as broker:  # plain MQTT: a TLS handshake with it fails
        link = MqttLink(settings_for(broker.port, tls=True), Topics(NODE),
                        lambda *_: None, lambda: None)
        link.start()
        try:
            assert wait_for(lambda: any("TLS failed" in m for m in home_messages(caplog)), 10)
        finally:
            link.stop()
    line = next(m for m in home_messages(caplog) if "TLS failed" in m)
    assert "every 300 s" in line


def test_tls_with_the_brokers_own_ca(tmp_path: Path,
                                     caplog: pytest.LogCaptureFixture) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    with LocalBroker(tls=(cert, key)) as broker:
        # Without the broker's CA its self-signed certificate is refused, and said so.
        link = MqttLink(settings_for(broker.port, tls=True), Topics(NODE),
                        lambda *_: None, lambda: None)
        link.start()
        try:
            assert wait_for(lambda: any("certificate verify failed" in m
                                        for m in home_messages(caplog)), 10)
        finally:
            link.stop()
        connected = threading.Event()
        link = MqttLink(settings_for(broker.port, tls=True, ca_file=cert), Topics(NODE),
                        lambda *_: None, connected.set)
        link.start()
        try:
            assert connected.wait(10)
        finally:
            link.stop()


def test_the_coach_only_ever_connects_out(tmp_path: Path, synthesizer: Synthesizer) -> None:
    with LocalBroker() as broker:
        scene = woken(tmp_path, synthesizer)
        bridge = HomeBridge(settings_for(broker.port), scene.daemon)
        try:
            bridge.start()
            assert bridge.link.connected.wait(5)
            assert _listening_sockets() == set()
        finally:
            bridge.stop()
            scene.close()


def _listening_sockets() -> set[int]:
    """Inodes of this process's TCP sockets in the LISTEN state."""
    mine = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            mine.add(int(target[8:-1]))
    listening = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and int(parts[9]) in mine:  # 0A: LISTEN
                listening.add(int(parts[9]))
    return listening


def test_config_table_password_file_and_permissions(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    path = tmp_path / "config.toml"
    path.write_text('[home_assistant]\nenabled = true\nhost = "broker.lan"\nport = 8883\n'
                    'username = "coach"\npassword_file = "mqtt-password"\ntls = true\n'
                    'device_name = "Guest room"\nremote_start = "immediate"\n')
    path.chmod(0o644)
    config = load_config(path)
    settings = broker_settings(config)
    assert (settings.host, settings.port, settings.password, settings.tls) == \
        ("broker.lan", 8883, SECRET, True)
    assert (settings.device_name, settings.remote_start) == ("Guest room", "immediate")
    assert not caplog.records
    secret.chmod(0o644)
    broker_settings(config)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "others can read it" in caplog.records[0].getMessage()
    assert SECRET not in caplog.text and SECRET not in repr(settings)
    secret.unlink()
    with pytest.raises(UserError, match=r"config.toml: \[home_assistant\] password_file = "
                                        r".*cannot read it"):
        broker_settings(config)
    for text, error in [
        ("port = 0", r"\[home_assistant\] port = 0 must be a port number"),
        ('enabled = "yes"', r'\[home_assistant\] enabled = "yes" must be true or false'),
        ("tls = 1", r"tls = 1 must be true or false"),
        ('remote_start = "now"', r'remote_start = "now" must be one of ask, immediate'),
        ('discovery_prefix = "home/#"', r"must be an MQTT topic"),
        ('brokr = "x"', r"unknown key \[home_assistant\] brokr"),
    ]:
        path.write_text(f"[home_assistant]\n{text}\n")
        with pytest.raises(UserError, match=error):
            load_config(path)
    path.write_text(f'[home_assistant]\npassword = "{SECRET}"\n')
    path.chmod(0o640)
    caplog.clear()
    broker_settings(load_config(path))
    assert "config file holds the broker password" in caplog.text
