"""Adapters of the ``Embedder`` port: local hashing (the default), OpenAI(-compatible), MiniLM."""
