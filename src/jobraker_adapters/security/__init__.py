"""Security adapters: password hashing, access tokens, secret keys, revocation, throttling.

argon2id (argon2-cffi), HS256 JWTs (PyJWT), the server's secret file, and the Redis-backed token
revocation list and login throttle.
"""
