"""allocation use cases."""
