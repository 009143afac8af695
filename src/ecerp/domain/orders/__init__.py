"""ecerp.domain.orders."""
