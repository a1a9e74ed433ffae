"""MIMS planning package."""
