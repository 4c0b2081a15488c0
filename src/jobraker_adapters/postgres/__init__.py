"""PostgreSQL adapters: pool, migrations, unit of work and repositories.

psycopg errors are translated into Jobraker's error tree in ``errors.py``.
"""
