"""Settings use cases: the settings source (source.py) and the command that changes them (commands.py, handlers.py)."""
