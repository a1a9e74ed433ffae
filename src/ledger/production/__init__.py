"""Production: work orders, their commands and handlers."""
