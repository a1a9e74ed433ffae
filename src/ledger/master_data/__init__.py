"""Master data: items and locations, their commands and handlers."""
