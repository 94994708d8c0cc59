"""The one exception type that reaches the user as a one-line message."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user (a file, a config value, a device, a model path).

    The CLI prints ``str(error)`` as a single line on stderr and exits with ``exit_code``;
    no traceback. The message names the file and line, the key, or the device.
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
