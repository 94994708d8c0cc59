"""voice-coach: an offline, hands-free guided-exercise coach."""

__version__ = "0.1.0"
