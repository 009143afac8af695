"""Plain-data formats of domain values (JSON documents), for adapters that
store or send them."""
