"""Jobraker's domain core: jobs, matching, applications, chat and accounts behind ports.

This package imports only the standard library and ``attrs``. Everything that touches the world
(PostgreSQL, Redis, HTTP APIs) lives in ``jobraker_adapters`` and is handed to the use cases through
the ports (``typing.Protocol`` classes) declared next to them.
"""
