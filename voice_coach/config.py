"""The user's config file (TOML): loading, validation and the commented default.

Every key is declared once in ``KEYS``; loading, error messages, ``config --init`` and
``config --show`` are all driven by that table so they cannot drift apart.
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from voice_coach import paths
from voice_coach.core.session import RATE_MAX, RATE_MIN, VOLUME_MAX, VOLUME_MIN
from voice_coach.errors import UserError
from voice_coach.listen.engines.engine import EngineName

ENGINES = ("auto", *EngineName)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
REMOTE_STARTS = ("ask", "immediate")
RATE_RANGE = (RATE_MIN, RATE_MAX)
VOLUME_RANGE = (VOLUME_MIN, VOLUME_MAX)


@dataclass(frozen=True)
class Config:
    """Effective settings: the defaults overlaid with the user's config file."""

    input_device: str | int | None = None
    """Microphone: a case-insensitive substring of the device name or a PortAudio index as
    shown by ``voice-coach devices``; None = the system default input."""
    output_device: str | int | None = None
    """Speaker, chosen like ``input_device``; None = the system default output."""
    wake_phrase: str | None = None
    """Words that wake the coach while idle, as configured; None = the language's own. Use
    ``wake``, the phrase in effect."""
    engine: str = "auto"
    """Recognizer: "vosk", "pocketsphinx", or "auto" (Vosk when a model for ``language`` is
    installed, else PocketSphinx)."""
    vosk_model: Path | None = None
    """Vosk model directory; None = the one installed for ``language`` under ``models_dir``."""
    language: str = "en"
    """Language of the commands and phrases (ISO 639-1 code, e.g. "en", "ko")."""
    voice_profile: str = "default"
    """Voice profile (enrolled takes of the user's commands) the listener uses, a name under
    the state folder's ``voice/``; none enrolled = the recognizer alone."""
    voice: Path | None = None
    """Piper voice (.onnx file with its .onnx.json beside it); None = the bundled voice."""
    rate: float = 1.0
    """Speaking rate, a multiplier of the coach's calm default pace (RATE_RANGE)."""
    volume: float = 0.8
    """Playback volume, a linear gain (0.2-1.0)."""
    routines_dir: Path = field(default_factory=paths.default_routines_dir)
    """Folder of the user's own routine files (.yaml), searched besides the bundled ones."""
    models_dir: Path = field(default_factory=paths.default_models_dir)
    """Folder where ``voice-coach models fetch`` installs models and where they are looked up."""
    log_level: str = "WARNING"
    """Logging threshold: DEBUG, INFO, WARNING or ERROR."""
    ha_enabled: bool = False
    """Connect to an MQTT broker and appear in Home Assistant (``[home_assistant]``)."""
    ha_host: str = "localhost"
    """MQTT broker host name or address."""
    ha_port: int = 1883
    """MQTT broker port (1883 plain, usually 8883 with TLS)."""
    ha_username: str | None = None
    ha_password: str | None = field(default=None, repr=False)
    """Broker password, written in the config file itself (prefer ``ha_password_file``)."""
    ha_password_file: Path | None = None
    """A file whose first line is the broker password."""
    ha_tls: bool = False
    """Connect with TLS (certificates checked against ``ha_ca_file`` or the system's CAs)."""
    ha_ca_file: Path | None = None
    """CA certificate (PEM) for the broker's certificate; None = the system's CAs."""
    ha_discovery_prefix: str = "homeassistant"
    """Home Assistant's MQTT discovery prefix."""
    ha_device_name: str | None = None
    """The name after "Voice coach" in Home Assistant; None = this machine's host name."""
    ha_remote_start: str = "ask"
    """A routine started from Home Assistant: "ask" (say it is ready, start on "yes") or
    "immediate"."""
    source: Path | None = field(default=None, compare=False)
    """The file these settings were read from; None when only defaults apply."""

    @property
    def wake(self) -> str:
        """The wake phrase in effect: ``wake_phrase``, else the one in ``language``'s phrase
        table ("hey coach", "헤이 코치")."""
        from voice_coach.commands import normalize
        from voice_coach.listen.phrases import language_wake

        return normalize(self.wake_phrase) if self.wake_phrase else language_wake(self.language)


@dataclass(frozen=True)
class Key:
    """One setting in the file: where it lives, how it is checked, how it is documented."""

    table: str
    """TOML table name, e.g. "speech"."""
    name: str
    """Key inside the table; also the ``Config`` field name."""
    parse: Callable[[object, Path], object]
    """Turns the raw TOML value into the field value; raises ValueError("is ...") if bad.
    The second argument is the config file's folder (for relative paths)."""
    help: str
    """Comment written above the key by ``config --init``."""
    example: str = ""
    """TOML value shown commented-out when the default is None or machine-specific."""
    effective: Callable[[Config], object] | None = None
    """The value used while the key is unset, when it depends on other keys (shown
    commented-out instead of ``example``)."""
    field: str = ""
    """``Config`` field, when it is not ``name`` (keys of other tables may share a name)."""

    @property
    def attr(self) -> str:
        return self.field or self.name


def _device(value: object, _base: Path) -> str | int | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a device name (text) or an index (whole number)")
    if isinstance(value, int) and value < 0:
        raise ValueError("must be an index >= 0")
    return (value.strip() or None) if isinstance(value, str) else value


def _text(value: object, _base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return " ".join(value.split())


def _choice(options: tuple[str, ...], upper: bool = False) -> Callable[[object, Path], str]:
    def parse(value: object, _base: Path) -> str:
        text = value.upper() if upper and isinstance(value, str) else value
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return str(text)

    return parse


def _language(value: object, _base: Path) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{2,3}([-_][A-Za-z]{2,4})?", value):
        raise ValueError('must be a language code such as "en" or "ko"')
    return value


def _flag(value: object, _base: Path) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _port(value: object, _base: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError("must be a port number 1-65535")
    return value


def _topic_prefix(value: object, base: Path) -> str:
    text = _text(value, base)
    if any(c in text for c in "#+ ") or text.startswith("/") or text.endswith("/"):
        raise ValueError("must be an MQTT topic without spaces, wildcards or outer slashes")
    return text


def _secret(value: object, _base: Path) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be non-empty text")
    return value


def _number(low: float, high: float) -> Callable[[object, Path], float]:
    def parse(value: object, _base: Path) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not low <= value <= high:
            raise ValueError(f"is out of range {low}-{high}")
        return float(value)

    return parse


def _path(value: object, base: Path) -> Path | None:
    if not isinstance(value, str):
        raise ValueError("must be a path (text)")
    if not value.strip():
        return None
    path = Path(value).expanduser()
    # Relative paths mean "next to the config file", not "wherever the daemon was started".
    return path if path.is_absolute() else base / path


def _required_path(value: object, base: Path) -> Path:
    path = _path(value, base)
    if path is None:
        raise ValueError("must be a non-empty path")
    return path


KEYS: tuple[Key, ...] = (
    Key("audio", "input_device", _device,
        "Microphone: part of its name or its index from `voice-coach devices`.\n"
        "Leave unset for the system default.", '"USB"'),
    Key("audio", "output_device", _device,
        "Speaker, chosen the same way. Leave unset for the system default.", "0"),
    Key("listen", "wake_phrase", _text,
        "What you say to wake the coach while it is idle. Unset = the language's own\n"
        '("hey coach" in English, "헤이 코치" in Korean).', effective=lambda c: c.wake),
    Key("listen", "engine", _choice(ENGINES),
        'Recognizer: "auto" (Vosk if a model is installed, else PocketSphinx), "vosk",\n'
        '"pocketsphinx".'),
    Key("listen", "vosk_model", _path,
        "Vosk model folder. Unset = the model installed for `language`\n"
        "(see `voice-coach models list`).", '"~/models/vosk-model-small-en-us-0.15"'),
    Key("listen", "language", _language, 'Language of the spoken commands: "en", "ko", ...'),
    Key("listen", "voice_profile", _text,
        "Whose enrolled voice the coach listens for (see `voice-coach enroll`).", '"default"'),
    Key("speech", "voice", _path,
        "Piper voice (.onnx, with its .onnx.json next to it). Unset = the bundled voice.",
        '"~/voices/en_US-lessac-medium.onnx"'),
    Key("speech", "rate", _number(*RATE_RANGE),
        f"Speaking speed multiplier, {RATE_RANGE[0]}-{RATE_RANGE[1]} (1.0 = the calm default)."),
    Key("speech", "volume", _number(*VOLUME_RANGE),
        f"Playback volume, {VOLUME_RANGE[0]}-{VOLUME_RANGE[1]}."),
    Key("general", "routines_dir", _required_path,
        "Folder with your own routines (.yaml).", '"~/.local/share/voice-coach/routines"'),
    Key("general", "models_dir", _required_path,
        "Folder for downloaded models.", '"~/.local/share/voice-coach/models"'),
    Key("general", "log_level", _choice(LOG_LEVELS, upper=True),
        "Logging threshold: DEBUG, INFO, WARNING or ERROR."),
    Key("home_assistant", "enabled", _flag,
        "Appear in Home Assistant through its MQTT broker (see the README).",
        field="ha_enabled"),
    Key("home_assistant", "host", _text, "MQTT broker: host name or address.", field="ha_host"),
    Key("home_assistant", "port", _port, "MQTT broker port (1883; usually 8883 with TLS).",
        field="ha_port"),
    Key("home_assistant", "username", _text, "Broker user name, if it asks for one.",
        '"voice-coach"', field="ha_username"),
    Key("home_assistant", "password", _secret,
        "Broker password. Better: password_file, a file only you can read.",
        '"..."', field="ha_password"),
    Key("home_assistant", "password_file", _path,
        "A file whose first line is the broker password.",
        '"~/.config/voice-coach/mqtt-password"', field="ha_password_file"),
    Key("home_assistant", "tls", _flag, "Connect with TLS.", field="ha_tls"),
    Key("home_assistant", "ca_file", _path,
        "CA certificate (PEM) of the broker's certificate. Unset = the system's CAs.",
        '"/etc/ssl/certs/my-broker-ca.pem"', field="ha_ca_file"),
    Key("home_assistant", "discovery_prefix", _topic_prefix,
        "Home Assistant's MQTT discovery prefix.", field="ha_discovery_prefix"),
    Key("home_assistant", "device_name", _text,
        'Shown as "Voice coach (<name>)". Unset = this machine\'s host name.',
        '"Bedroom"', field="ha_device_name"),
    Key("home_assistant", "remote_start", _choice(REMOTE_STARTS),
        'A routine started from Home Assistant: "ask" (the coach says it is ready and\n'
        'starts on "yes") or "immediate".', field="ha_remote_start"),
)
TABLES: tuple[str, ...] = tuple(dict.fromkeys(key.table for key in KEYS))
_COMMENTED_BY_DEFAULT = {"routines_dir", "models_dir"}  # machine-specific: follow XDG unless set
_COMMENTED_TABLES = {"home_assistant"}  # off unless the user turns it on
_SECRETS = {"ha_password"}  # never shown by `config --show`


def toml_value(value: object) -> str:
    """Render a Python value as a TOML literal (for messages and generated files)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, dict):
        return "{...}"
    return json.dumps(value, default=str)


FOLDER_NOT_CONFIG = "is a folder; --config needs a file name such as config.toml"


def _parse_toml(path: Path) -> dict[str, object]:
    if path.is_dir():
        raise UserError(f"{path}: {FOLDER_NOT_CONFIG}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found (create one: voice-coach config "
                        f"--init --config {path})") from None
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise UserError(f"{path}: cannot read config: {error.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if where:
            message = message[: where.start()].strip()
            raise UserError(f"{path}:{where[1]}:{where[2]}: invalid TOML: {message}") from None
        raise UserError(f"{path}: invalid TOML: {message}") from None


def load_config(path: Path | None = None) -> Config:
    """Read and validate a config file; ``None`` means the default location.

    A missing default file means "all defaults"; a missing explicit path is an error. Any
    unknown table/key or bad value raises UserError naming the file and the key.
    """
    explicit = path is not None
    path = path if path is not None else paths.default_config_path()
    if not explicit and not path.exists():
        return Config()
    data = _parse_toml(path)
    by_table = {table: {k.name: k for k in KEYS if k.table == table} for table in TABLES}
    base = path.parent
    values: dict[str, Any] = {}  # each Key's parser gives its Config field's type
    for table, content in data.items():
        if table not in by_table:
            if isinstance(content, dict):
                raise UserError(f"{path}: unknown table [{table}] "
                                f"(known: {', '.join(f'[{t}]' for t in TABLES)})")
            hint = next((f"; did you mean [{k.table}] {k.name}?" for k in KEYS if k.name == table),
                        "")
            raise UserError(f"{path}: unknown key {table} outside any table{hint}")
        if not isinstance(content, dict):
            raise UserError(f"{path}: {table} must be a table: [{table}]")
        for name, raw in content.items():
            key = by_table[table].get(name)
            if key is None:
                known = ", ".join(by_table[table])
                raise UserError(f"{path}: unknown key [{table}] {name} (known: {known})")
            try:
                values[key.attr] = key.parse(raw, base)
            except ValueError as error:
                raise UserError(f"{path}: [{table}] {name} = {toml_value(raw)} {error}") from None
    return Config(**values, source=path)


def render_config(config: Config, *, defaults: bool = False) -> str:
    """The config as commented TOML (``defaults``: the file ``config --init`` writes).

    None values and (with ``defaults``) the XDG folders are commented out: it loads back equal.
    """
    lines = ["# voice-coach configuration (TOML). Every key is optional; delete what you",
             "# don't change. Reference: README, section \"Configuration\".", ""]
    current = {f.name: getattr(config, f.name) for f in fields(config)}
    for table in TABLES:
        # A table left at its defaults by ``config --init`` is written commented out whole.
        off = "# " if defaults and table in _COMMENTED_TABLES else ""
        lines.append(f"{off}[{table}]")
        for key in (k for k in KEYS if k.table == table):
            lines.extend(f"# {line}" for line in key.help.splitlines())
            value = current[key.attr]
            if key.attr in _SECRETS and value is not None and not defaults:
                lines.append(f"{key.name} = \"********\"  # hidden")
            elif value is None:
                shown = toml_value(key.effective(config)) if key.effective else key.example
                lines.append(f"# {key.name} = {shown}")
            elif defaults and key.name in _COMMENTED_BY_DEFAULT:
                lines.append(f"# {key.name} = {toml_value(value)}")
            else:
                lines.append(f"{off}{key.name} = {toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def write_default_config(path: Path, *, force: bool = False) -> None:
    """Create the commented default config at ``path`` (atomically; never clobbers unasked)."""
    if path.is_dir():
        raise UserError(f"{path}: {FOLDER_NOT_CONFIG}")
    if path.exists() and not force:
        raise UserError(f"{path}: already exists; use --force to overwrite it")
    try:
        paths.atomic_write_text(path, render_config(Config(), defaults=True))
    except OSError as error:
        raise UserError(f"{path}: cannot write config: {error.strerror}") from None


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """Add the shared ``--config PATH`` option to a sub-command's parser."""
    parser.add_argument(
        "--config", type=Path, default=None, metavar="PATH",
        help=f"config file (default: {paths.default_config_path()})",
    )
