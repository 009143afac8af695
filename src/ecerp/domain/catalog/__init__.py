"""ecerp.domain.catalog."""
