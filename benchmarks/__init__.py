"""ecerp benchmarks: a seeded e-commerce workload, the scenarios that time it
on every backend, and the raw ``sqlite3`` ceiling they are compared with.

Run ``python -m benchmarks --size small`` (see ``docs/performance.md``).
"""
