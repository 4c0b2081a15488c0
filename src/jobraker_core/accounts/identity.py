"""Who is calling: the identity every authenticated use case is given.

The HTTP edge turns a verified access token into a ``Principal``; use cases take it (or its
``user_id``) as an argument and scope every read and write to it. Nothing in the core trusts an id
that did not come through a ``Principal``.
"""

from __future__ import annotations

import enum
import uuid

import attrs


class Role(enum.StrEnum):
    """What a user may do: ``user`` acts on its own data; ``admin`` may also manage the platform."""

    USER = "user"
    ADMIN = "admin"


@attrs.frozen
class Principal:
    """The authenticated caller: its user id, its role, and its access token's id.

    ``token_id`` (the ``jti``) lets logging out revoke exactly the token that was presented.
    """

    user_id: uuid.UUID
    role: Role
    token_id: str

    @property
    def is_admin(self) -> bool:
        """Whether the caller may use admin endpoints."""
        return self.role is Role.ADMIN
