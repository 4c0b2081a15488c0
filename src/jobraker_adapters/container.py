"""The composition root: the only place that picks adapters.

``build_container(settings)`` wires the production adapters (PostgreSQL, Redis/RQ, httpx-based
sources), starting the embedded PostgreSQL and Redis of ``settings.data_dir`` when
``DATABASE_URL``/``REDIS_URL`` are unset. ``build_memory_container()`` wires the in-memory fakes for
tests and for library users who want no infrastructure. Edges resolve use cases from the container
through a few typed functions; nothing else reaches into adapters.

Resources (servers, pools, clients) start lazily on first use and stop on
``container.shutdown_resources()``.
"""

from __future__ import annotations

from collections.abc import Iterator

from dependency_injector import containers, providers

from jobraker_adapters.embedded import ServiceEndpoints, running_services
from jobraker_adapters.embedder_choice import open_embedder
from jobraker_adapters.http_client import open_http_client
from jobraker_adapters.memory import (
    FixedClock,
    InMemoryJobSourceCatalog,
    InMemoryLoginThrottle,
    InMemoryPasswordHasher,
    InMemoryRateLimiter,
    InMemoryRevocationStore,
    InMemoryTaskQueue,
    InMemoryUnitOfWorkFactory,
)
from jobraker_adapters.memory.privacy import InMemoryUserDataCache
from jobraker_adapters.memory.retrieval import (
    InMemoryJobEmbeddingRepository,
    InMemoryJobRetriever,
)
from jobraker_adapters.memory.twofactor import InMemoryOidcProviders, InMemoryOidcStateStore
from jobraker_adapters.observability import StaticReadiness, configure_logging
from jobraker_adapters.postgres.embeddings import PostgresJobEmbeddingRepository
from jobraker_adapters.postgres.migrations import apply_migrations
from jobraker_adapters.postgres.pool import open_pool
from jobraker_adapters.postgres.retrieval import PostgresJobRetriever
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_adapters.readiness import ServiceReadiness
from jobraker_adapters.redis_queue import RQTaskQueue, open_redis
from jobraker_adapters.redis_user_data import RedisUserDataCache
from jobraker_adapters.resume_text import FileDocumentReader
from jobraker_adapters.security.keys import HmacPseudonymizer, jwt_secret
from jobraker_adapters.security.oidc import HttpOidcProviders, RedisOidcStateStore
from jobraker_adapters.security.passwords import Argon2PasswordHasher, FileCommonPasswords
from jobraker_adapters.security.ratelimit import RedisRateLimiter, open_async_redis
from jobraker_adapters.security.revocation import RedisRevocationStore
from jobraker_adapters.security.secretbox import (
    AesGcmSecretBox,
    Keyring,
    add_file_key,
    secret_box,
)
from jobraker_adapters.security.throttle import RedisLoginThrottle
from jobraker_adapters.security.tokens import (
    JwtAccessTokens,
    access_token_lifetime,
    refresh_token_lifetime,
)
from jobraker_adapters.security.totp import PyOtpTotp
from jobraker_adapters.settings import Settings
from jobraker_adapters.sources.catalog import SourceCatalog
from jobraker_adapters.taxonomy import load_skill_extractor, load_title_normaliser
from jobraker_core.accounts.admin import GetUser, ListUsers, UpdateUser
from jobraker_core.accounts.audit import AppendAuditEvent, ListAuditEvents
from jobraker_core.accounts.oidc import FinishOidcLogin, StartOidcLogin
from jobraker_core.accounts.privacy import EraseAccount, ExportPersonalData
from jobraker_core.accounts.profile_use_cases import GetProfile, ReplaceProfile, UpdateProfile
from jobraker_core.accounts.twofactor import (
    CompleteTwoFactorLogin,
    ConfirmTotpEnrolment,
    DisableTotp,
    GetTwoFactorStatus,
    RegenerateRecoveryCodes,
    RotateSecrets,
    SecondFactorThrottle,
    SecondFactorVerifier,
    StartTotpEnrolment,
    TwoFactorGate,
)
from jobraker_core.accounts.use_cases import (
    Authenticate,
    ChangePassword,
    CreateUserAccount,
    Login,
    Logout,
    LogoutEverywhere,
    Refresh,
    Register,
    dummy_password_hash,
)
from jobraker_core.clock import SystemClock
from jobraker_core.jobs.use_cases import (
    GetIngestion,
    GetJob,
    IngestJobs,
    ListIngestions,
    QueueIngestion,
    SearchJobs,
)
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.embedding import EmbeddingSpec
from jobraker_core.matching.resume import ResumeParser
from jobraker_core.matching.search import SearchJobsByMeaning
from jobraker_core.matching.use_cases import (
    CreateSavedSearch,
    DeleteSavedSearch,
    ExplainMatch,
    GetCandidateProfile,
    GetCareerInsight,
    GetResume,
    GetSavedSearch,
    GiveFeedback,
    ListFeedback,
    ListResumes,
    ListSavedSearches,
    ListSavedSearchMatches,
    MatchEngine,
    Recommend,
    RefreshSavedSearches,
    ReplaceCandidateProfile,
    UploadResume,
    WithdrawFeedback,
)
from jobraker_core.matching.use_cases_index import EmbedJobs, QueueEmbedding, ReindexJobs

__all__ = [
    "Container",
    "ServiceEndpoints",
    "Settings",
    "build_container",
    "build_memory_container",
    "configure_logging",
]


def _database_url(endpoints: ServiceEndpoints) -> str:
    return endpoints.database_url


def _migrate(endpoints: ServiceEndpoints) -> list[str]:
    return apply_migrations(endpoints.database_url)


def _pool(endpoints: ServiceEndpoints, settings: Settings) -> Iterator[object]:
    yield from open_pool(endpoints.database_url, settings)


class Container(containers.DeclarativeContainer):
    """Providers of every port and use case. Override any provider in tests."""

    settings = providers.Dependency(instance_of=Settings)

    endpoints = providers.Resource(running_services, settings=settings)
    db_pool = providers.Resource(_pool, endpoints=endpoints, settings=settings)
    redis = providers.Resource(open_redis, endpoints=endpoints)
    http_client = providers.Resource(open_http_client, settings=settings)

    migrate = providers.Callable(_migrate, endpoints=endpoints)
    clock = providers.Singleton(SystemClock)
    uow = providers.Singleton(PostgresUnitOfWorkFactory, pool=db_pool)
    task_queue = providers.Singleton(
        RQTaskQueue,
        redis=redis,
        queue_name=settings.provided.queue_name,
        retries=settings.provided.ingest_retries,
    )
    job_sources = providers.Singleton(
        SourceCatalog, settings=settings, http=http_client, redis=redis, clock=clock
    )
    readiness = providers.Singleton(ServiceReadiness, pool=db_pool, redis=redis)

    ingest_jobs = providers.Factory(IngestJobs, uow=uow, sources=job_sources, clock=clock)
    queue_ingestion = providers.Factory(
        QueueIngestion, uow=uow, sources=job_sources, queue=task_queue, clock=clock
    )
    search_jobs = providers.Factory(SearchJobs, uow=uow)
    get_job = providers.Factory(GetJob, uow=uow)
    list_ingestions = providers.Factory(ListIngestions, uow=uow)
    get_ingestion = providers.Factory(GetIngestion, uow=uow)

    # matching: the embedder, job vectors in pgvector, hybrid retrieval
    embedder = providers.Resource(open_embedder, settings=settings)
    embedding_spec = providers.Singleton(EmbeddingSpec.of, embedder)
    job_embeddings = providers.Singleton(PostgresJobEmbeddingRepository, pool=db_pool)
    job_retriever = providers.Singleton(
        PostgresJobRetriever,
        pool=db_pool,
        spec=embedding_spec,
        ef_search=settings.provided.hnsw_ef_search,
    )
    embed_jobs = providers.Factory(EmbedJobs, embeddings=job_embeddings, embedder=embedder)
    reindex_jobs = providers.Factory(
        ReindexJobs, uow=uow, embeddings=job_embeddings, embedder=embedder
    )
    queue_embedding = providers.Factory(QueueEmbedding, queue=task_queue)
    search_jobs_by_meaning = providers.Factory(
        SearchJobsByMeaning, uow=uow, retriever=job_retriever, embedder=embedder
    )

    # matching: résumés, the candidate profile, explained recommendations, feedback, insight
    skill_extractor = providers.Singleton(load_skill_extractor)
    title_normaliser = providers.Singleton(load_title_normaliser)
    job_analyser = providers.Singleton(JobAnalyser, skill_extractor, title_normaliser)
    resume_parser = providers.Singleton(ResumeParser, skill_extractor, title_normaliser)
    document_reader = providers.Singleton(FileDocumentReader)
    match_engine = providers.Singleton(
        MatchEngine,
        retriever=job_retriever,
        embedder=embedder,
        embeddings=job_embeddings,
        analyser=job_analyser,
        clock=clock,
    )
    upload_resume = providers.Factory(
        UploadResume, uow=uow, reader=document_reader, parser=resume_parser, clock=clock
    )
    list_resumes = providers.Factory(ListResumes, uow=uow)
    get_resume = providers.Factory(GetResume, uow=uow)
    get_candidate_profile = providers.Factory(GetCandidateProfile, uow=uow)
    replace_candidate_profile = providers.Factory(
        ReplaceCandidateProfile, uow=uow, analyser=job_analyser, clock=clock
    )
    recommend_jobs = providers.Factory(Recommend, uow=uow, engine=match_engine)
    explain_match = providers.Factory(ExplainMatch, uow=uow, engine=match_engine)
    give_feedback = providers.Factory(GiveFeedback, uow=uow, analyser=job_analyser, clock=clock)
    withdraw_feedback = providers.Factory(WithdrawFeedback, uow=uow)
    list_feedback = providers.Factory(ListFeedback, uow=uow)
    career_insight = providers.Factory(GetCareerInsight, uow=uow, engine=match_engine)
    create_saved_search = providers.Factory(CreateSavedSearch, uow=uow, clock=clock)
    list_saved_searches = providers.Factory(ListSavedSearches, uow=uow)
    get_saved_search = providers.Factory(GetSavedSearch, uow=uow)
    delete_saved_search = providers.Factory(DeleteSavedSearch, uow=uow)
    list_saved_search_matches = providers.Factory(ListSavedSearchMatches, uow=uow)
    refresh_saved_searches = providers.Factory(
        RefreshSavedSearches, uow=uow, engine=match_engine, clock=clock
    )

    # profiles; protection (the rate limiter is asyncio: the HTTP edge closes it on shutdown)
    get_profile = providers.Factory(GetProfile, uow=uow)
    replace_profile = providers.Factory(ReplaceProfile, uow=uow, clock=clock)
    update_profile = providers.Factory(UpdateProfile, uow=uow, clock=clock)
    async_redis = providers.Singleton(open_async_redis, endpoints=endpoints)
    rate_limiter = providers.Singleton(RedisRateLimiter, client=async_redis)

    # accounts: authentication, admin, audit
    jwt_secret = providers.Singleton(jwt_secret, settings=settings)
    access_lifetime = providers.Singleton(
        access_token_lifetime, settings.provided.access_token_minutes
    )
    refresh_lifetime = providers.Singleton(
        refresh_token_lifetime, settings.provided.refresh_token_days
    )
    access_tokens = providers.Singleton(
        JwtAccessTokens,
        secret=jwt_secret,
        issuer=settings.provided.jwt_issuer,
        audience=settings.provided.jwt_audience,
        lifetime=access_lifetime,
    )
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    common_passwords = providers.Singleton(FileCommonPasswords)
    pseudonymizer = providers.Singleton(HmacPseudonymizer.from_secret, jwt_secret)
    revocations = providers.Singleton(RedisRevocationStore, redis)
    login_throttle = providers.Singleton(RedisLoginThrottle, redis)
    login_dummy_hash = providers.Singleton(dummy_password_hash, password_hasher)
    audit_events = providers.Singleton(AppendAuditEvent, clock=clock, pseudonymizer=pseudonymizer)
    # the second step of sign-ins for accounts with 2FA on (jobraker_core.accounts.twofactor)
    two_factor_gate = providers.Singleton(TwoFactorGate, clock=clock, audit=audit_events)
    register = providers.Factory(
        Register,
        uow=uow,
        hasher=password_hasher,
        common=common_passwords,
        clock=clock,
        audit=audit_events,
    )
    create_user_account = providers.Factory(
        CreateUserAccount,
        uow=uow,
        hasher=password_hasher,
        common=common_passwords,
        clock=clock,
        audit=audit_events,
    )
    login = providers.Factory(
        Login,
        uow=uow,
        hasher=password_hasher,
        issuer=access_tokens,
        throttle=login_throttle,
        pseudonymizer=pseudonymizer,
        clock=clock,
        audit=audit_events,
        dummy_hash=login_dummy_hash,
        refresh_lifetime=refresh_lifetime,
        second_factor=two_factor_gate,
    )
    refresh = providers.Factory(
        Refresh,
        uow=uow,
        issuer=access_tokens,
        revocations=revocations,
        clock=clock,
        audit=audit_events,
        refresh_lifetime=refresh_lifetime,
        access_lifetime=access_lifetime,
    )
    authenticate = providers.Factory(
        Authenticate, uow=uow, verifier=access_tokens, revocations=revocations, clock=clock
    )
    logout = providers.Factory(
        Logout,
        uow=uow,
        revocations=revocations,
        clock=clock,
        audit=audit_events,
        access_lifetime=access_lifetime,
    )
    logout_everywhere = providers.Factory(
        LogoutEverywhere,
        uow=uow,
        revocations=revocations,
        clock=clock,
        audit=audit_events,
        access_lifetime=access_lifetime,
    )
    change_password = providers.Factory(
        ChangePassword,
        uow=uow,
        hasher=password_hasher,
        common=common_passwords,
        issuer=access_tokens,
        revocations=revocations,
        throttle=login_throttle,
        pseudonymizer=pseudonymizer,
        clock=clock,
        audit=audit_events,
        refresh_lifetime=refresh_lifetime,
        access_lifetime=access_lifetime,
    )
    list_users = providers.Factory(ListUsers, uow=uow)
    get_user = providers.Factory(GetUser, uow=uow)
    update_user = providers.Factory(
        UpdateUser,
        uow=uow,
        revocations=revocations,
        clock=clock,
        audit=audit_events,
        access_lifetime=access_lifetime,
    )
    list_audit_events = providers.Factory(ListAuditEvents, uow=uow)

    # accounts: two-factor sign-in, secrets at rest, OIDC sign-in, export and erasure
    secret_box = providers.Singleton(secret_box, settings=settings)
    # `jobraker secrets rotate --new-key`
    add_secret_key = providers.Callable(add_file_key, settings=settings)
    totp = providers.Singleton(PyOtpTotp)
    second_factor_verifier = providers.Singleton(SecondFactorVerifier, box=secret_box, totp=totp)
    second_factor_throttle = providers.Singleton(
        SecondFactorThrottle, throttle=login_throttle, pseudonymizer=pseudonymizer
    )
    get_two_factor_status = providers.Factory(GetTwoFactorStatus, uow=uow)
    start_totp_enrolment = providers.Factory(
        StartTotpEnrolment, uow=uow, box=secret_box, totp=totp, clock=clock, audit=audit_events
    )
    confirm_totp_enrolment = providers.Factory(
        ConfirmTotpEnrolment,
        uow=uow,
        verifier=second_factor_verifier,
        throttle=second_factor_throttle,
        clock=clock,
        audit=audit_events,
    )
    disable_totp = providers.Factory(
        DisableTotp,
        uow=uow,
        hasher=password_hasher,
        verifier=second_factor_verifier,
        throttle=second_factor_throttle,
        clock=clock,
        audit=audit_events,
    )
    regenerate_recovery_codes = providers.Factory(
        RegenerateRecoveryCodes,
        uow=uow,
        verifier=second_factor_verifier,
        throttle=second_factor_throttle,
        clock=clock,
        audit=audit_events,
    )
    complete_two_factor_login = providers.Factory(
        CompleteTwoFactorLogin,
        uow=uow,
        verifier=second_factor_verifier,
        throttle=second_factor_throttle,
        issuer=access_tokens,
        clock=clock,
        audit=audit_events,
        refresh_lifetime=refresh_lifetime,
    )
    rotate_secrets = providers.Factory(
        RotateSecrets, uow=uow, box=secret_box, clock=clock, audit=audit_events
    )
    oidc_providers = providers.Singleton(
        HttpOidcProviders, client=http_client, providers=settings.provided.oidc_providers
    )
    oidc_states = providers.Singleton(RedisOidcStateStore, redis)
    start_oidc_login = providers.Factory(
        StartOidcLogin, providers=oidc_providers, states=oidc_states, clock=clock
    )
    finish_oidc_login = providers.Factory(
        FinishOidcLogin,
        uow=uow,
        providers=oidc_providers,
        states=oidc_states,
        issuer=access_tokens,
        gate=two_factor_gate,
        clock=clock,
        audit=audit_events,
        refresh_lifetime=refresh_lifetime,
    )
    user_data_cache = providers.Singleton(RedisUserDataCache, redis)
    export_personal_data = providers.Factory(
        ExportPersonalData, uow=uow, clock=clock, audit=audit_events
    )
    erase_account = providers.Factory(
        EraseAccount,
        uow=uow,
        hasher=password_hasher,
        verifier=second_factor_verifier,
        throttle=second_factor_throttle,
        revocations=revocations,
        cache=user_data_cache,
        pseudonymizer=pseudonymizer,
        clock=clock,
        audit=audit_events,
        access_lifetime=access_lifetime,
    )


def build_container(settings: Settings) -> Container:
    """The production container for ``settings``. Starts nothing until a provider is used."""
    return Container(settings=settings)


def build_memory_container(settings: Settings | None = None) -> Container:
    """A container whose ports are the in-memory fakes: no database, no Redis, no network.

    The fakes are singletons, so a test can reach them (``container.uow().store``,
    ``container.task_queue().tasks``, ``container.clock()``) to arrange and assert.
    """
    import secrets  # noqa: PLC0415 - only the memory container makes a throwaway JWT secret
    from pathlib import Path  # noqa: PLC0415 - only the memory container needs a default path

    container = Container(settings=settings or Settings(data_dir=Path("/nonexistent/jobraker")))
    container.uow.override(providers.Singleton(InMemoryUnitOfWorkFactory))
    container.task_queue.override(providers.Singleton(InMemoryTaskQueue))
    container.clock.override(providers.Singleton(FixedClock))
    container.job_sources.override(providers.Singleton(InMemoryJobSourceCatalog))
    container.readiness.override(providers.Singleton(StaticReadiness))
    container.job_embeddings.override(
        providers.Singleton(InMemoryJobEmbeddingRepository, store=container.uow.provided.store)
    )
    container.job_retriever.override(
        providers.Singleton(
            InMemoryJobRetriever, embeddings=container.job_embeddings, spec=container.embedding_spec
        )
    )
    container.rate_limiter.override(providers.Singleton(InMemoryRateLimiter, container.clock))
    container.jwt_secret.override(providers.Singleton(secrets.token_bytes, 64))
    container.password_hasher.override(providers.Singleton(InMemoryPasswordHasher))
    container.revocations.override(providers.Singleton(InMemoryRevocationStore, container.clock))
    container.login_throttle.override(providers.Singleton(InMemoryLoginThrottle, container.clock))
    container.secret_box.override(
        providers.Singleton(AesGcmSecretBox, providers.Singleton(Keyring.generate))
    )
    container.oidc_providers.override(providers.Singleton(InMemoryOidcProviders))
    container.oidc_states.override(providers.Singleton(InMemoryOidcStateStore, container.clock))
    container.user_data_cache.override(providers.Singleton(InMemoryUserDataCache))
    return container
