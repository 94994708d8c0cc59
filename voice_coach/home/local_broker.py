"""A private Mosquitto broker on 127.0.0.1 and a free port, for ``demo --home-assistant`` and
the tests: Debian's ``mosquitto`` package, its own config in a temporary folder, stopped and
removed on exit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from voice_coach.errors import UserError

INSTALL_HINT = ("install it with: apt-get install mosquitto (with sudo unless root), or give "
                "--broker HOST:PORT")


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()),
        None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalBroker:
    """``with LocalBroker() as broker:`` a running broker at ``broker.port``."""

    def __init__(self, port: int | None = None, users: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None) -> None:
        """``users``: name -> password (anonymous clients refused then); ``tls``: (cert, key)
        files in PEM to serve TLS on the port instead of plain MQTT."""
        self.port = port or free_port()
        self.users = users
        self.tls = tls
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 5.0) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise UserError(f"mosquitto is not installed; {INSTALL_HINT}")
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="voice-coach-mqtt-")
        folder = Path(self._dir.name)
        lines = [f"listener {self.port} 127.0.0.1", "persistence false",
                 "log_dest stderr", "log_type error", "log_type warning"]
        if os.geteuid() == 0:  # else it drops to user "mosquitto", who cannot read our files
            lines.append("user root")
        if self.users is not None:
            passwords = folder / "passwords"
            passwords.write_text("")
            for name, password in self.users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(passwords), name, password],
                               check=True, capture_output=True)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        if self.tls is not None:
            lines += [f"certfile {self.tls[0]}", f"keyfile {self.tls[1]}"]
        conf = folder / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        self._process = subprocess.Popen([binary, "-c", str(conf)], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace") \
                    if self._process.stderr else ""
                raise UserError(f"mosquitto did not start: {error.strip()[-300:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise UserError(f"mosquitto did not open port {self.port} in {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the broker (the folder stays for a ``start`` on the same port)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def close(self) -> None:
        self.stop()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
