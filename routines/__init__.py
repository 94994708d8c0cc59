"""Bundled routines (YAML); this file only makes the folder importable as package data."""
