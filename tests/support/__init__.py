"""Test harness shared by several test packages."""
