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
from jobraker_adapters.memory.analyses import InMemoryJobAnalysisRepository
from jobraker_adapters.memory.clock import FixedClock
from jobraker_adapters.memory.jobs import (
    InMemoryIngestionRunRepository,
    InMemoryJobRepository,
    InMemoryJobSource,
    InMemoryJobSourceCatalog,
)
from jobraker_adapters.memory.matching import (
    InMemoryCandidateProfileRepository,
    InMemoryFeedbackRepository,
    InMemoryMatchingSession,
    InMemoryResumeRepository,
    InMemorySavedSearchRepository,
    MatchingTables,
)
from jobraker_adapters.memory.profiles import InMemoryProfileRepository
from jobraker_adapters.memory.queue import InMemoryTaskQueue, QueuedTask
from jobraker_adapters.memory.ratelimit import InMemoryRateLimiter
from jobraker_adapters.memory.retrieval import InMemoryJobEmbeddingRepository, InMemoryJobRetriever
from jobraker_adapters.memory.uow import (
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
)

__all__ = [
    "FixedClock",
    "InMemoryAccessTokens",
    "InMemoryAuditLog",
    "InMemoryCandidateProfileRepository",
    "InMemoryCommonPasswords",
    "InMemoryFeedbackRepository",
    "InMemoryIngestionRunRepository",
    "InMemoryJobAnalysisRepository",
    "InMemoryJobEmbeddingRepository",
    "InMemoryJobRepository",
    "InMemoryJobRetriever",
    "InMemoryJobSource",
    "InMemoryJobSourceCatalog",
    "InMemoryLoginThrottle",
    "InMemoryMatchingSession",
    "InMemoryPasswordHasher",
    "InMemoryProfileRepository",
    "InMemoryPseudonymizer",
    "InMemoryRateLimiter",
    "InMemoryRefreshTokenRepository",
    "InMemoryResumeRepository",
    "InMemoryRevocationStore",
    "InMemorySavedSearchRepository",
    "InMemoryStore",
    "InMemoryTaskQueue",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "InMemoryUserRepository",
    "MatchingTables",
    "QueuedTask",
]
