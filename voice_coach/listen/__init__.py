"""Listening: microphone to 16 kHz, echo cancellation, voice activity, recognition, commands."""
