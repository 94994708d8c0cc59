"""Home Assistant through a real Mosquitto broker: the coach in the simulated room (real
Piper, Listener, Dialogue, a Festival-voiced user), and a real MQTT client playing Home
Assistant: discovery checked against what Home Assistant requires, buttons, a routine
chosen, settings, junk payloads, the state topics following."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from home_assistant import (
    DISCOVERY_REQUIRED,
    DURATION_UNITS,
    REQUIRED,
    HomeAssistant,
    render_template,
    wait_for,
)

from voice_coach.app.virtual_room import UserLine
from voice_coach.app.virtual_scene import Scene, build_scene
from voice_coach.config import Config
from voice_coach.core.actions import Progress
from voice_coach.core.view import Activity
from voice_coach.home.bridge import HomeBridge
from voice_coach.home.discovery import BUTTONS, discovery_messages
from voice_coach.home.local_broker import LocalBroker, mosquitto_binary
from voice_coach.home.remote import Birth, Press, Rejected, Select, Setting, parse
from voice_coach.home.settings import BrokerSettings
from voice_coach.home.status import state_payload
from voice_coach.home.topics import Topics, node_id
from voice_coach.speech import Synthesizer

NODE = "test_bed"
TITLES = {"Bedtime breathing": "bedtime-breathing",
          "Lower back and hip release": "lower-back-hip"}


@pytest.fixture(scope="module")
def synthesizer() -> Iterator[Synthesizer]:
    synth = Synthesizer()
    yield synth
    synth.close()


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    assert mosquitto_binary(), "mosquitto is installed by .ci/run (apt-get install mosquitto)"
    with LocalBroker() as running:
        yield running


def settings_for(port: int, **kw: object) -> BrokerSettings:
    return BrokerSettings(host="127.0.0.1", port=port, device_name="Test bed",
                          **kw)  # type: ignore[arg-type]


def scene_with(tmp_path: Path, synthesizer: Synthesizer, lines: list[UserLine]) -> Scene:
    return build_scene(Config(), lines, state_dir=tmp_path / "state", synthesizer=synthesizer)


# --- pure parts ---------------------------------------------------------------------------


def test_discovery_has_what_home_assistant_requires_of_each_platform() -> None:
    topics = Topics(NODE)
    messages = discovery_messages(topics, "Test bed", list(TITLES))
    state = json.loads(state_payload(_idle_view(), "Bedtime breathing", None, ""))
    seen: dict[str, list[str]] = {}
    for topic, config in messages:
        prefix, component, node, object_id, last = topic.split("/")
        assert (prefix, node, last) == ("homeassistant", NODE, "config")
        seen.setdefault(component, []).append(object_id)
        for key in REQUIRED[component] + DISCOVERY_REQUIRED:
            assert config.get(key), f"{topic}: no {key}"
        assert config["device"]["identifiers"] == [f"voice_coach_{NODE}"]
        assert config["device"]["name"] == "Voice coach (Test bed)"
        assert config["availability_topic"] == topics.availability
        if "value_template" in config:  # every template reads a field the state has
            render_template(config["value_template"], state)
        if config.get("device_class") == "enum":
            assert state[config["value_template"].split(".")[1].strip(" }")] in config["options"]
        if config.get("device_class") == "duration":
            assert config["unit_of_measurement"] in DURATION_UNITS
        if component == "number":
            assert config["min"] < config["max"] and config["step"] > 0
    assert sorted(seen["button"]) == sorted(BUTTONS)
    assert seen["select"] == ["routine"] and seen["event"] == ["voice_command"]
    assert sorted(seen["sensor"]) == ["current_routine", "last_command", "section", "state",
                                      "time_left"]
    assert sorted(seen["number"]) == ["rate", "volume"]
    ids = [config["unique_id"] for _t, config in messages]
    assert len(ids) == len(set(ids))
    select = next(c for t, c in messages if "/select/" in t)
    assert select["options"] == list(TITLES)


def _idle_view():  # noqa: ANN202 - a CoachView
    from voice_coach.core.view import CoachView

    return CoachView(Activity.IDLE)


def test_what_arrives_is_checked_before_anything_happens() -> None:
    topics = Topics(NODE)
    assert parse(topics, topics.command, b"pause", TITLES) == Press("pause")
    assert parse(topics, topics.command, b" STOP\n", TITLES) == Press("stop")
    assert parse(topics, topics.routine_set, b"Bedtime breathing", TITLES) == \
        Select("bedtime-breathing")
    assert parse(topics, topics.routine_set, b"lower-back-hip", TITLES) == \
        Select("lower-back-hip")
    assert parse(topics, topics.setting_set("rate"), b"0.9", TITLES) == Setting("rate", 0.9)
    assert parse(topics, topics.birth, b"online", TITLES) == Birth()
    assert parse(topics, topics.birth, b"offline", TITLES) is None
    for topic, payload in [
        (topics.command, b"explode"), (topics.command, b"\xff\xfe\x00junk"),
        (topics.command, b"pause\x00"), (topics.command, b"p" * 1_000_000),
        (topics.routine_set, b"Morning run"), (topics.setting_set("rate"), b"9"),
        (topics.setting_set("rate"), b"nan"), (topics.setting_set("volume"), b"-1"),
        (topics.setting_set("volume"), b"loud"), (topics.setting_set("rate"), b"inf"),
        ("voice_coach/other/command", b"pause"),
    ]:
        result = parse(topics, topic, payload, TITLES)
        assert isinstance(result, Rejected), (topic, payload[:20], result)
        assert len(result.reason) < 200
    assert node_id("Bed room #2") == "bed_room_2" and node_id("???") == "coach"


# --- the coach on a real broker -----------------------------------------------------------


def test_home_assistant_sees_and_drives_the_coach(
        tmp_path: Path, synthesizer: Synthesizer, broker: LocalBroker,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    ha = HomeAssistant(broker.port)
    lines = [
        UserLine("yes", after="say:Bedtime breathing is ready", delay=1.0, until="heard:yes"),
        UserLine("resume", after="volume:0.5", delay=1.0, until="heard:resume"),
    ]
    scene = scene_with(tmp_path, synthesizer, lines)
    bridge = HomeBridge(settings_for(broker.port), scene.daemon)
    topics = bridge.topics

    def step() -> None:
        scene.driver.run(0.1)

    def state() -> dict:
        return ha.state(NODE)

    try:
        bridge.start()
        # Discovery: every entity, retained, valid; the device online; the state idle.
        assert wait_for(lambda: len(ha.configs()) == 16 and state(), 10, step), ha.configs()
        for topic, config in ha.configs().items():
            component = topic.split("/")[1]
            assert all(config.get(key) for key in REQUIRED[component]), topic
        assert ha.topic(topics.availability) == b"online"
        assert state()["state"] == "idle"

        # Choose a routine and press start: the coach offers it, the user says yes.
        ha.publish(topics.routine_set, "Bedtime breathing")
        assert wait_for(lambda: state()["selected"] == "Bedtime breathing", 10, step)
        ha.publish(topics.command, "start")
        assert wait_for(lambda: state()["state"] == "choosing", 10, step), state()
        assert wait_for(lambda: state()["state"] in ("speaking", "holding"), 60, step), \
            (state(), [e.detail for e in scene.log if e.kind in ("say", "heard")])
        now = state()
        assert now["routine"] == "Bedtime breathing" and now["section"].endswith("of 4)")
        assert now["time_left"] > 1.0
        assert [json.loads(p)["event_type"] for p in ha.received(topics.event)] == ["yes"]

        # Pause from Home Assistant: the coach is silent at once, the state follows.
        ha.publish(topics.command, "pause")
        assert wait_for(lambda: state()["state"] == "paused", 10, step)
        assert state()["last_command"] == "pause (home)"
        assert wait_for(lambda: scene.player.is_idle, 30, step)
        paused = state()
        # Junk on every command topic: ignored, logged, nothing changes.
        for topic, payload in [(topics.command, b"\xff\x00\x01"), (topics.command, b"jump"),
                               (topics.routine_set, b"Marathon"),
                               (topics.setting_set("rate"), b"9"),
                               (topics.setting_set("volume"), b"x" * 1_000_000)]:
            ha.publish(topic, payload)
        assert wait_for(lambda: bridge.rejected == 5, 10, step)
        for _ in range(20):
            step()
        assert state() == paused
        assert sum("home assistant: ignored" in r.message for r in caplog.records) == 5

        # Settings within the same limits as "slower"/"louder"; then "resume" by voice.
        ha.publish(topics.setting_set("volume"), "0.5")
        ha.publish(topics.setting_set("rate"), "0.9")
        assert wait_for(lambda: (state()["volume"], state()["rate"]) == (0.5, 0.9), 10, step)
        assert wait_for(lambda: state()["state"] in ("speaking", "holding"), 60, step)
        assert state()["last_command"] == "resume (voice)"
        assert [json.loads(p)["event_type"] for p in ha.received(topics.event)] == \
            ["yes", "resume"]

        # Stop from Home Assistant: finished; the history says who started and who stopped.
        ha.publish(topics.command, "stop")
        assert wait_for(lambda: state()["state"] == "finished", 30, step), state()
        assert wait_for(lambda: scene.store.history(), 30, step)  # after the goodbye
        assert wait_for(lambda: state()["routine"] == "none", 30, step)  # out of the session
        assert state()["state"] == "finished"
        entry = scene.store.history()[-1]
        assert (entry.routine_id, entry.how, entry.started_by) == \
            ("bedtime-breathing", "stopped", "home")
        assert (entry.voice_commands, entry.home_commands) == (1, 2)
        saved = scene.store.load_progress()
        assert isinstance(saved, Progress) and saved.volume == 0.5
    finally:
        bridge.stop()
        scene.close()
    assert wait_for(lambda: ha.topic(topics.availability) == b"offline", 5)
    ha.close()


def test_nothing_is_said_or_started_when_nobody_answers(
        tmp_path: Path, synthesizer: Synthesizer, broker: LocalBroker) -> None:
    ha = HomeAssistant(broker.port)
    scene = scene_with(tmp_path, synthesizer, [])
    bridge = HomeBridge(settings_for(broker.port), scene.daemon)
    try:
        bridge.start()
        assert wait_for(lambda: ha.state(NODE), 10, lambda: scene.driver.run(0.1))
        ha.publish(bridge.topics.command, "start")
        assert wait_for(lambda: ha.state(NODE)["state"] == "choosing", 10,
                        lambda: scene.driver.run(0.1))
        scene.driver.run(40.0)
        assert wait_for(lambda: ha.state(NODE)["state"] == "idle", 5)
        assert "no answer in 30 s" in ha.state(NODE)["notice"]
        said = [e.detail["text"] for e in scene.log if e.kind == "say"]
        assert said == [f"{ha.state(NODE)['selected']} is ready. Say yes to begin."]
        assert not scene.store.history()
    finally:
        bridge.stop()
        scene.close()
        ha.close()


# --- demo --home-assistant ----------------------------------------------------------------


def test_demo_as_a_home_assistant_device(broker: LocalBroker,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from voice_coach.cli import main

    ha = HomeAssistant(broker.port)
    assert main(["demo", "--home-assistant", "--broker", f"127.0.0.1:{broker.port}"]) == 0
    out = capsys.readouterr().out.splitlines()
    heard = [line.split("'")[1] for line in out if " heard '" in line]
    assert heard == ["yes", "pause", "resume", "repeat", "next", "stop"]
    assert sum(" mqtt > homeassistant/" in line and "discovery:" in line for line in out) == 16
    assert any("mqtt < voice_coach/demo/command start" in line for line in out)
    states = [line.split("state=")[1].split()[0] for line in out
              if "mqtt > voice_coach/demo/state" in line and " state=" in line]
    assert states[:3] == ["idle", "choosing", "speaking"] and "paused" in states
    # What reached the broker is what `run` publishes: the same discovery, the same device.
    titles = list(TITLES)
    expected = {topic: payload for topic, payload in
                discovery_messages(Topics("demo"), "demo", titles)}
    assert wait_for(lambda: ha.configs() == expected, 5)
    assert wait_for(lambda: ha.topic("voice_coach/demo/availability") == b"offline", 5)
    ha.close()


def test_demo_home_assistant_errors_are_one_line(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from voice_coach.cli import main
    from voice_coach.home import local_broker

    port = local_broker.free_port()  # nothing listens there
    assert main(["demo", "--home-assistant", "--broker", f"127.0.0.1:{port}"]) == 1
    assert f"cannot reach the MQTT broker at 127.0.0.1:{port}" in capsys.readouterr().err
    assert main(["demo", "--home-assistant", "--broker", "localhost"]) != 0
    assert "expected HOST:PORT" in capsys.readouterr().err
    assert main(["demo", "--broker", "localhost:1883"]) != 0
    assert "--broker goes with --home-assistant" in capsys.readouterr().err
    monkeypatch.setattr(local_broker, "mosquitto_binary", lambda: None)
    assert main(["demo", "--home-assistant"]) == 1
    err = capsys.readouterr().err
    assert "mosquitto is not installed" in err and "apt-get install mosquitto" in err


def test_the_readmes_automations_parse_and_name_real_entities() -> None:
    import re

    import yaml

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Home Assistant", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    automations = yaml.safe_load(blocks[0])
    assert [a["alias"] for a in automations] == [
        "Bedtime breathing at half past ten", "Dim the bedroom lights while a session runs"]

    def slug(text: str) -> str:  # Home Assistant's entity id from "<device> <entity>"
        return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")

    device = "Voice coach (Bedroom)"
    ours = {f"{topic.split('/')[1]}.{slug(device + ' ' + str(config['name']))}": config
            for topic, config in discovery_messages(Topics(node_id("Bedroom")), "Bedroom",
                                                    list(TITLES))}
    used: list[str] = []
    for automation in automations:
        assert automation["triggers"] and automation["actions"]
        for part in automation["triggers"] + automation["actions"]:
            entity = part.get("entity_id") or part.get("target", {}).get("entity_id")
            if entity and entity.split(".")[1].startswith("voice_coach"):
                assert entity in ours, (entity, sorted(ours))
                used.append(entity)
            if part.get("action") == "select.select_option":
                assert part["data"]["option"] in ours[entity]["options"]
            if part.get("trigger") == "state" and entity in ours:
                assert set(part["to"]) <= set(ours[entity]["options"])
    assert sorted(used) == ["button.voice_coach_bedroom_start",
                            "select.voice_coach_bedroom_routine",
                            "sensor.voice_coach_bedroom_state"]
