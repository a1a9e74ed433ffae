"""MIMS projections package."""
