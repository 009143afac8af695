"""Adapters: implementations of the ports.  Only the composition root
(:mod:`ecerp.bootstrap`) imports them."""
