"""Model manifest (TOML) shipped as package data; this file only makes the folder importable."""
