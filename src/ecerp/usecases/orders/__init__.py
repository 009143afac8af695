"""orders use cases."""
