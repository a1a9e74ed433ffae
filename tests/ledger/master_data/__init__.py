"""Master data tests."""
