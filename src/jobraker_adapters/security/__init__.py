"""Security adapters: argon2id password hashing, JWT access tokens, the server's secret keys,
and the Redis-backed token revocation list and login throttle."""
