"""ecerp.domain.inventory."""
