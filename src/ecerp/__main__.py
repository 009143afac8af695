"""``python -m ecerp``: the ``ecerp`` command (:mod:`ecerp.cli`)."""

import sys

from ecerp.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
