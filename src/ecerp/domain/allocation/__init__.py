"""ecerp.domain.allocation."""
