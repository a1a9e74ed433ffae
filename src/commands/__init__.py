"""MIMS commands package."""
