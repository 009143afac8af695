"""Ports: the abstract roles use cases talk to and adapters implement.

One module per port.  Each imports only the domain, so a plugin author can
implement one without any optional dependency installed.
"""
