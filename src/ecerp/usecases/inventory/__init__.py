"""inventory use cases."""
