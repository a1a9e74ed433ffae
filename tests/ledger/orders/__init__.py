"""Purchase and sales orders tests."""
