"""Developer tools that check the code base itself (run with ``python -m``)."""
