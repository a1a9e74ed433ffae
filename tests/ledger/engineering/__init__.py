"""Engineering tests."""
