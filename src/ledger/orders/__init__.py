"""Purchase and sales orders, their commands and handlers."""
