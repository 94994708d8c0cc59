"""voice-coach: an offline, hands-free guided-exercise coach."""

import os as _os

__version__ = "0.1.0"

# onnxruntime (under Piper and the voice-activity detector) writes a device id and an event
# database under ~/.cache/Microsoft/ when it is first imported, unless told not to. The switch
# differs by version (1.32 honours only CI markers and ORT_RUNNING_UNIT_TESTS; later ones
# ORT_TELEMETRY_DISABLED or ORT_DISABLE_TELEMETRY), so all are set, before any import of it.
for _name in ("ORT_TELEMETRY_DISABLED", "ORT_DISABLE_TELEMETRY", "ORT_RUNNING_UNIT_TESTS"):
    _os.environ.setdefault(_name, "1")
