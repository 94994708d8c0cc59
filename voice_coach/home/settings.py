"""The ``[home_assistant]`` settings, resolved for connecting (password read, name chosen)."""

from __future__ import annotations

import logging
import socket
import stat
from dataclasses import dataclass, field
from pathlib import Path

from voice_coach.config import Config
from voice_coach.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerSettings:
    """How to reach the MQTT broker and how to appear in Home Assistant."""

    host: str = "localhost"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: Path | None = None
    """PEM CA certificate; None = the system's CAs (with ``tls``)."""
    discovery_prefix: str = "homeassistant"
    device_name: str = "bedroom"
    """Shown as "Voice coach (<device_name>)"."""
    remote_start: str = "ask"
    """"ask" or "immediate"."""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def broker_settings(config: Config, source: str = "config") -> BrokerSettings:
    """``config``'s [home_assistant] table, with the password read from its file.

    A password file that cannot be read is a UserError naming the key and the file; a
    password that others can read is logged as a warning (never the password itself).
    """
    password = config.ha_password
    if password is not None and config.source is not None:
        _warn_if_shared(config.source, "the config file holds the broker password")
    if config.ha_password_file is not None:
        path = config.ha_password_file
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            why = getattr(error, "strerror", None) or str(error)
            raise UserError(f"{config.source or source}: [home_assistant] password_file = "
                            f"{str(path)!r}: cannot read it ({why})") from None
        if not lines or not lines[0]:
            raise UserError(f"{path}: the first line should hold the broker password "
                            f"([home_assistant] password_file)")
        password = lines[0]
        _warn_if_shared(path, "the broker password file")
    if config.ha_ca_file is not None and not config.ha_ca_file.is_file():
        raise UserError(f"{config.source or source}: [home_assistant] ca_file = "
                        f"{str(config.ha_ca_file)!r}: no such file")
    return BrokerSettings(
        host=config.ha_host, port=config.ha_port, username=config.ha_username,
        password=password, tls=config.ha_tls, ca_file=config.ha_ca_file,
        discovery_prefix=config.ha_discovery_prefix,
        device_name=config.ha_device_name or socket.gethostname() or "bedroom",
        remote_start=config.ha_remote_start,
    )


def _warn_if_shared(path: Path, what: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("%s: %s and others can read it; chmod 600 %s", path, what, path)
