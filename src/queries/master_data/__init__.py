"""Items and locations: the plant's master data."""
