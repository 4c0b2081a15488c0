"""In-memory fakes of every port, for tests and for library users who want no infrastructure.

They need only the standard library and ``jobraker_core``, record what they received, and follow
the same contracts as the real adapters (the contract tests run one suite against both).
"""

from jobraker_adapters.memory.accounts import (
    InMemoryAccessTokens,
    InMemoryAuditLog,
    InMemoryCommonPasswords,
    InMemoryLoginThrottle,
    InMemoryPasswordHasher,
    InMemoryPseudonymizer,
    InMemoryRefreshTokenRepository,
    InMemoryRevocationStore,
    InMemoryUserRepository,
)
from jobraker_adapters.memory.clock import FixedClock
from jobraker_adapters.memory.jobs import (
    InMemoryIngestionRunRepository,
    InMemoryJobRepository,
    InMemoryJobSource,
    InMemoryJobSourceCatalog,
)
from jobraker_adapters.memory.queue import InMemoryTaskQueue, QueuedTask
from jobraker_adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork, InMemoryUnitOfWorkFactory

__all__ = [
    "FixedClock",
    "InMemoryAccessTokens",
    "InMemoryAuditLog",
    "InMemoryCommonPasswords",
    "InMemoryLoginThrottle",
    "InMemoryPasswordHasher",
    "InMemoryPseudonymizer",
    "InMemoryRefreshTokenRepository",
    "InMemoryRevocationStore",
    "InMemoryUserRepository",
    "InMemoryIngestionRunRepository",
    "InMemoryJobRepository",
    "InMemoryJobSource",
    "InMemoryJobSourceCatalog",
    "InMemoryStore",
    "InMemoryTaskQueue",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "QueuedTask",
]
