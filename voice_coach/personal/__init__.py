"""The user's own voice: enrollment takes (profile.py) and what the listener makes of them."""
