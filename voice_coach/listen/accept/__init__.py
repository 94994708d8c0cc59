"""The checks a parsed command must pass to count: said on its own, a voice, not the coach."""
