"""The audio format facts every part shares: the listening rate and the block length."""

LISTEN_RATE = 16000
"""Hz: what the microphone is resampled to; the listener, the recognizers and the simulated
room all run at it."""
BLOCK_SECONDS = 0.02
"""The audio block (20 ms): what the player hands out, the microphone is read in, and the
loops step by."""
BLOCKS_PER_SECOND = 50
"""1 / BLOCK_SECONDS, as an integer for sample counts."""
