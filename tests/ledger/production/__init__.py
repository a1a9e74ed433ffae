"""Work order tests."""
