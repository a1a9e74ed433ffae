"""Tests of work orders (with the engineering and orders they use)."""
