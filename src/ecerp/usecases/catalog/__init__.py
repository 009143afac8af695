"""catalog use cases."""
