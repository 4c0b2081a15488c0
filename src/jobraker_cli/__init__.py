"""The ``jobraker`` command line: ``up``, ``serve``, ``worker``, ``migrate`` and ``ingest``."""
