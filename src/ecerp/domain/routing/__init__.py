"""ecerp.domain.routing."""
