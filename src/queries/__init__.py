"""MIMS queries package."""
