"""Background work on RQ: the ingestion task, scheduled ingestion and the worker process.

``tasks`` holds the job functions (enqueued by dotted path with string arguments), ``errors`` the
one mapping from the error tree to retry or fail, ``scheduler`` the once-per-slot scheduled
ingestion, and ``worker`` the process that runs them.
"""
