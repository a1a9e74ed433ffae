"""MIMS mims package."""
