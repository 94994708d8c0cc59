"""Wiring: joins the Session, the synthesizer, the player and (later) the listener."""
