"""Echo handling: the playback reference, its delay, AEC3 and the linear canceller, onsets."""
