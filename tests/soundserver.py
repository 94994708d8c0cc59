"""A real sound server for real-time tests: a private, headless PulseAudio (no sound card).

Two null sinks stand for the bedroom: ``speaker`` is what the coach plays into, ``room`` is
the air the microphone hears (the microphone is ``room.monitor``). A loopback carries the
speaker into the room with a delay (the echo path); a person's speech is played into the room
with ``paplay`` at known times. Private ALSA device names (``vc_speaker``, ``vc_mic``) route
PortAudio through ALSA's pulse plugin to them, so ``voice-coach run`` is configured with device
names exactly as on a Raspberry Pi. Everything lives in one folder; ``stop`` leaves nothing
running.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ASOUNDRC = """\
pcm.vc_speaker { type pulse; device "speaker"; hint { show on; description "voice-coach test speaker" } }
pcm.vc_mic { type pulse; device "room.monitor"; hint { show on; description "voice-coach test microphone" } }
pcm.vc_room { type pulse; device "room"; hint { show on; description "the room (a person speaks into it)" } }
pcm.vc_speaker_monitor { type pulse; device "speaker.monitor"; hint { show on; description "what the speaker played" } }
"""  # noqa: E501


@dataclass
class SoundServer:
    """``with SoundServer(folder) as server:`` starts PulseAudio and stops it afterwards."""

    folder: Path
    echo_ms: int | None = 60
    """Delay of the speaker-to-room loopback, ms; None: the room does not hear the speaker."""
    drifting: bool = False
    """Let the loopback adjust its rate (two clocks, like a USB mic and another speaker)."""
    kind: str = "pulseaudio"
    """"pulseaudio", or "pipewire" (PipeWire + WirePlumber + pipewire-pulse, as on Raspberry
    Pi OS desktop; WirePlumber needs a session bus, so a private one is started too)."""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False)

    @property
    def env(self) -> dict[str, str]:
        """The environment a client of this server needs (PortAudio, pactl, paplay)."""
        run = self.folder / "run"
        return {
            **os.environ,
            "XDG_RUNTIME_DIR": str(run),
            "PULSE_RUNTIME_PATH": str(run / "pulse"),
            "PULSE_STATE_PATH": str(self.folder / "state"),
            "PULSE_CONFIG_PATH": str(self.folder / "state"),
            "PULSE_SERVER": f"unix:{run / 'pulse' / 'native'}",
            "ALSA_CONFIG_PATH": f"/usr/share/alsa/alsa.conf:{self.folder / 'asoundrc'}",
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={run / 'bus'}",
        }

    def start(self) -> SoundServer:
        needed = ["pulseaudio"] if self.kind == "pulseaudio" else [
            "pipewire", "wireplumber", "pipewire-pulse", "dbus-daemon"]
        missing = [name for name in needed + ["pactl", "paplay"] if shutil.which(name) is None]
        if missing:
            raise RuntimeError(f"not installed: {' '.join(missing)} (see .ci/run)")
        for name in ("run", "state", "home"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        (self.folder / "run").chmod(0o700)
        (self.folder / "asoundrc").write_text(ASOUNDRC)
        loopback = (f"module-loopback source=speaker.monitor sink=room latency_msec={self.echo_ms}"
                    f"{'' if self.drifting else ' adjust_time=0'}")
        echo = self.echo_ms is not None
        if self.kind == "pulseaudio":
            (self.folder / "server.pa").write_text(
                "load-module module-native-protocol-unix auth-anonymous=1\n"
                "load-module module-null-sink sink_name=speaker rate=48000\n"
                "load-module module-null-sink sink_name=room rate=48000\n"
                + (f"load-module {loopback} source_dont_move=true sink_dont_move=true\n"
                   if echo else "") +
                "set-default-sink speaker\nset-default-source room.monitor\n")
            self._spawn(["pulseaudio", "--daemonize=no", "-n", "-F",
                         str(self.folder / "server.pa"), "--exit-idle-time=-1",
                         "--disallow-exit", "--use-pid-file=no", "--system=no",
                         "--log-target=stderr"])
            self._wait_for_server()
        else:
            self._spawn(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                         f"--address={self.env['DBUS_SESSION_BUS_ADDRESS']}"])
            time.sleep(0.2)
            for program in ("pipewire", "wireplumber", "pipewire-pulse"):
                self._spawn([program])
            self._wait_for_server()
            for command in ("load-module module-null-sink sink_name=speaker",
                            "load-module module-null-sink sink_name=room",
                            *([f"load-module {loopback}"] if echo else []),
                            "set-default-sink speaker", "set-default-source room.monitor"):
                subprocess.run(["pactl", *command.split()], env=self.env, check=True,
                               capture_output=True)
        return self

    def _spawn(self, argv: list[str]) -> None:
        log = (self.folder / "server.log").open("ab")
        self.processes.append(subprocess.Popen(
            argv, env={**self.env, "HOME": str(self.folder / "home")}, stdin=subprocess.DEVNULL,
            stdout=log, stderr=log, start_new_session=True))

    def _wait_for_server(self) -> None:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode:
            if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sound server did not start: {self.log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        processes, self.processes = self.processes, []
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def __enter__(self) -> SoundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        path = self.folder / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def say(self, wav: Path) -> subprocess.Popen[bytes]:
        """Play ``wav`` into the room now (a person speaking); returns the paplay process."""
        return subprocess.Popen(["paplay", "-d", "room", "--latency-msec=20", str(wav)],
                                env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def record(self, source: str, path: Path, rate: int = 16000) -> subprocess.Popen[bytes]:
        """Record ``source`` (e.g. "speaker.monitor") to a WAV until the process is stopped."""
        return subprocess.Popen(
            ["parecord", "-d", source, "--rate", str(rate), "--channels=1",
             "--format=s16le", "--file-format=wav", "--latency-msec=20", str(path)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> Path:
    data = (np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data)
    return path


def stop_recording(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)  # parecord finishes the WAV header on SIGINT
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
