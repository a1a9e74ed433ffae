"""Work orders and work in process."""
