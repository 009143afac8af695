"""ecerp.domain.carriers."""
