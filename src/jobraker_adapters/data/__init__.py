"""Data files shipped with the adapters (read with ``importlib.resources``)."""
