"""The one error tree of Jobraker.

Every error the core, its ports or its adapters raise on purpose is a ``JobrakerError``. The HTTP
edge maps this tree to problem-details responses in exactly one place; the workers map it to
"retry" or "fail" in exactly one place. Adapters translate library exceptions into these classes
and never let a ``psycopg`` or ``httpx`` exception escape.

::

    JobrakerError
    ├── InvalidInput                 4xx: the caller sent something the domain cannot accept
    ├── NotFound                     404: no such object (or not yours to see)
    ├── Conflict                     409: the request collides with the current state
    ├── Unauthenticated              401: no valid credentials (token, password) came with it
    ├── Forbidden                    403: the caller is known but may not do this
    ├── TooManyRequests              429: the caller must slow down for ``retry_after`` s
    ├── ConfigurationError           the deployment is misconfigured (bad vendor credentials, ...)
    ├── SecretUnreadable             500: a stored secret cannot be decrypted (tampered, moved)
    └── UpstreamError                something outside Jobraker failed
        ├── UpstreamUnavailable      transient: network, timeout, 5xx, our own database down
        │   └── RateLimited          the upstream (or our own quota) says wait ``retry_after`` s
        └── UpstreamRejected         permanent: the upstream refused this request (4xx)
"""

from __future__ import annotations


class JobrakerError(Exception):
    """Root of every error Jobraker raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(JobrakerError):
    """Raised when input violates a domain rule; ``field`` names the offending input when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(JobrakerError):
    """Raised when the object asked for does not exist, or is not visible to the caller."""


class Conflict(JobrakerError):
    """Raised when a request collides with the current state (a duplicate, a stale update)."""


class Unauthenticated(JobrakerError):
    """Raised when a request carries no valid credentials.

    That is a missing, malformed, expired or revoked token, or a wrong email/password pair
    (worded the same whichever was wrong).
    """


class Forbidden(JobrakerError):
    """Raised when an authenticated caller may not do what it asks.

    For example a user at an admin route, or a disabled account.
    """


class TooManyRequests(JobrakerError):
    """Raised when the caller itself (not an upstream) must wait ``retry_after`` seconds.

    For example after too many failed logins.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(JobrakerError):
    """Raised when the deployment is misconfigured, e.g. a vendor rejects our credentials."""


class SecretUnreadable(JobrakerError):
    """Raised when a secret stored encrypted cannot be decrypted and authenticated.

    Its ciphertext was changed, it was copied to another row (its associated data no longer
    matches), or the key it was sealed with is not in the keyring any more. Never a wrong answer:
    the value is refused whole.
    """


class UpstreamError(JobrakerError):
    """Raised when a service outside Jobraker fails; ``service`` names it."""

    def __init__(self, message: str, *, service: str) -> None:
        super().__init__(message)
        self.service = service


class UpstreamUnavailable(UpstreamError):
    """Raised when a service is temporarily unreachable or failing; retrying later may succeed."""


class RateLimited(UpstreamUnavailable):
    """Raised when a service (or our own quota for it) asks us to wait ``retry_after`` seconds."""

    def __init__(self, message: str, *, service: str, retry_after: float) -> None:
        super().__init__(message, service=service)
        self.retry_after = retry_after


class UpstreamRejected(UpstreamError):
    """Raised when a service refuses a request permanently; retrying the same request won't help."""
