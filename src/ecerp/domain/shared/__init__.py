"""ecerp.domain.shared."""
