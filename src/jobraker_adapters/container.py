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
from datetime import timedelta

from dependency_injector import containers, providers

from jobraker_adapters.documents.choice import document_language_model
from jobraker_adapters.documents.render import bundled_font_renderer
from jobraker_adapters.embedded import ServiceEndpoints, running_services
from jobraker_adapters.embedder_choice import open_embedder
from jobraker_adapters.http_client import open_http_client
from jobraker_adapters.link_checker import HttpLinkChecker
from jobraker_adapters.llm.choice import open_language_model, token_budget, token_prices
from jobraker_adapters.market_wiring import adzuna_salary_data
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
from jobraker_adapters.memory.analyses import InMemoryJobAnalysisRepository
from jobraker_adapters.memory.assistant import InMemoryCompletionCache
from jobraker_adapters.memory.idempotency import InMemoryIdempotencyStore
from jobraker_adapters.memory.market import InMemoryMarketData
from jobraker_adapters.memory.moderation import (
    InMemoryLinkChecker,
    InMemoryPlatformStatistics,
    InMemoryQueueMonitor,
)
from jobraker_adapters.memory.notifications import RecordingNotifier
from jobraker_adapters.memory.privacy import InMemoryUserDataCache
from jobraker_adapters.memory.retrieval import (
    InMemoryJobEmbeddingRepository,
    InMemoryJobRetriever,
)
from jobraker_adapters.memory.twofactor import InMemoryOidcProviders, InMemoryOidcStateStore
from jobraker_adapters.metrics import (
    FleetCollector,
    InMemoryMetricsSink,
    ProcessMetrics,
    RedisMetricsSink,
    RQQueueMonitor,
    fleet_collector,
    measured_transport,
)
from jobraker_adapters.notify.tokens import HmacUnsubscribeTokens
from jobraker_adapters.notify.wiring import (
    production_notifiers,
    realtime_redis,
    unsubscribe_link,
)
from jobraker_adapters.observability import StaticReadiness, configure_logging
from jobraker_adapters.postgres.analyses import PostgresJobAnalysisRepository
from jobraker_adapters.postgres.embeddings import PostgresJobEmbeddingRepository
from jobraker_adapters.postgres.idempotency import PostgresIdempotencyStore
from jobraker_adapters.postgres.market import PostgresMarketData
from jobraker_adapters.postgres.migrations import apply_migrations
from jobraker_adapters.postgres.moderation import PostgresPlatformStatistics
from jobraker_adapters.postgres.pool import Pool, open_pool
from jobraker_adapters.postgres.retrieval import PostgresJobRetriever
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_adapters.readiness import ServiceReadiness
from jobraker_adapters.redis_completion_cache import RedisCompletionCache
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
from jobraker_adapters.submitters.choice import (
    skyvern_run_webhook,
    skyvern_webhook_url,
    submitter_kind,
)
from jobraker_adapters.submitters.dry_run import DryRunSubmitter
from jobraker_adapters.submitters.skyvern import SkyvernSubmitter
from jobraker_adapters.taxonomy import (
    load_skill_extractor,
    load_title_normaliser,
    taxonomy_version,
)
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
from jobraker_core.applications.analytics import GetApplicationAnalytics
from jobraker_core.applications.reminders import NotifyDueReminders
from jobraker_core.applications.submitting import (
    CancelApplicationRun,
    ReceiveRunWebhook,
    ReconcileApplications,
    RecordRunReport,
    SubmitApplication,
)
from jobraker_core.applications.use_cases import (
    AnswerQuestion,
    ApplyToJob,
    ApproveApplication,
    DeleteApplication,
    DeleteBankAnswer,
    ExplainedMatchScores,
    GetApplication,
    GetApplicationSettings,
    ListApplicationEvents,
    ListApplications,
    ListBankAnswers,
    ListSiteBreakers,
    PutBankAnswer,
    RejectPacket,
    RelayTasks,
    TrackApplication,
    UpdateApplication,
    UpdateApplicationSettings,
    WithdrawApplication,
)
from jobraker_core.assistant.action_tools import (
    ApplicationsContext,
    action_handlers,
    action_tools,
)
from jobraker_core.assistant.tools import product_tools
from jobraker_core.assistant.use_cases import (
    ConfirmProposal,
    DeleteConversation,
    GetConversation,
    ListConversations,
    RejectProposal,
    SendMessage,
)
from jobraker_core.clock import SystemClock
from jobraker_core.documents.use_cases import (
    DraftCoverLetter,
    ExportDocument,
    ExportResume,
    FailDocument,
    GetDocument,
    ListDocuments,
    ProduceDocument,
    ReadResumeVersion,
    TailorResume,
)
from jobraker_core.idempotency import IdempotentRequests
from jobraker_core.jobs.use_cases import (
    GetIngestion,
    GetJob,
    IngestJobs,
    ListIngestions,
    QueueIngestion,
    SearchJobs,
)
from jobraker_core.market.use_cases import AnalyseMarket, MarketTrends, SalaryInsight
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.analysis_store import AnalyseJobs
from jobraker_core.matching.embedding import EmbeddingSpec
from jobraker_core.matching.ranked_pools import RankedPools
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
from jobraker_core.moderation.health import GetPlatformMetrics, GetSourceHealth
from jobraker_core.moderation.use_cases import (
    CheckApplyLinks,
    ListFlags,
    ModerateJobs,
    ReviewFlag,
)
from jobraker_core.notifications.dispatch import DispatchNotifications, SendDigests
from jobraker_core.notifications.model import Channel
from jobraker_core.notifications.strong_matches import NotifyStrongMatches
from jobraker_core.notifications.use_cases import (
    GetNotificationPreferences,
    ListNotifications,
    MarkAllNotificationsRead,
    MarkNotificationRead,
    ReplaceNotificationPreferences,
    Unsubscribe,
)
from jobraker_core.spending import GetApplicationSpending, GetUsage

__all__ = [
    "Container",
    "ServiceEndpoints",
    "Settings",
    "build_container",
    "build_memory_container",
    "configure_logging",
]


def _minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def _database_url(endpoints: ServiceEndpoints) -> str:
    return endpoints.database_url


def _migrate(endpoints: ServiceEndpoints) -> list[str]:
    return apply_migrations(endpoints.database_url)


def _pool(endpoints: ServiceEndpoints, settings: Settings) -> Iterator[object]:
    yield from open_pool(endpoints.database_url, settings)


def _retriever(
    pool: Pool, spec: EmbeddingSpec, settings: Settings
) -> Iterator[PostgresJobRetriever]:
    """The vector retriever, its walk connections closed with the container."""
    with PostgresJobRetriever(
        pool,
        spec,
        ef_search=settings.hnsw_ef_search,
        full_scan_mb=settings.vector_full_scan_mb,
        walk_connections=settings.db_walk_connections,
    ) as retriever:
        yield retriever


class Container(containers.DeclarativeContainer):
    """Providers of every port and use case. Override any provider in tests."""

    settings = providers.Dependency(instance_of=Settings)

    endpoints = providers.Resource(running_services, settings=settings)
    db_pool = providers.Resource(_pool, endpoints=endpoints, settings=settings)
    redis = providers.Resource(open_redis, endpoints=endpoints)
    # every external call is timed per vendor into the fleet metrics (jobraker_adapters.metrics)
    metrics_sink = providers.Singleton(RedisMetricsSink, redis=redis)
    http_transport = providers.Singleton(measured_transport, settings=settings, sink=metrics_sink)
    http_client = providers.Resource(open_http_client, settings=settings, transport=http_transport)

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
    job_retriever = providers.Resource(
        _retriever, pool=db_pool, spec=embedding_spec, settings=settings
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
    job_analyser = providers.Singleton(
        JobAnalyser,
        skill_extractor,
        title_normaliser,
        data_version=providers.Callable(taxonomy_version),
    )
    # analyses stored after ingestion (jobraker_core.matching.analysis_store)
    job_analyses = providers.Singleton(PostgresJobAnalysisRepository, pool=db_pool)
    analyse_jobs = providers.Factory(AnalyseJobs, store=job_analyses, analyser=job_analyser)
    resume_parser = providers.Singleton(ResumeParser, skill_extractor, title_normaliser)
    document_reader = providers.Singleton(FileDocumentReader)
    match_engine = providers.Singleton(
        MatchEngine,
        retriever=job_retriever,
        embedder=embedder,
        embeddings=job_embeddings,
        analyser=job_analyser,
        clock=clock,
        analyses=job_analyses,
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
    ranked_pools = providers.Singleton(
        RankedPools,
        clock=clock,
        ttl=providers.Factory(timedelta, seconds=settings.provided.recommendation_cache_seconds),
    )
    recommend_jobs = providers.Factory(Recommend, uow=uow, engine=match_engine, pools=ranked_pools)
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

    # the assistant's language model ("local" or "openai", JOBRAKER_LLM), what its tokens cost
    # and the per-person monthly token budget (jobraker_core.assistant.costs)
    language_model = providers.Resource(open_language_model, settings=settings)
    token_prices = providers.Singleton(token_prices, settings=settings)
    token_budget = providers.Singleton(token_budget, settings=settings)

    # documents: tailored résumés and cover letters behind the grounding gate (local drafter at
    # once; a configured model on the worker), their export as PDF and DOCX
    document_model = providers.Callable(
        document_language_model, settings=settings, model=language_model
    )
    document_renderer = providers.Singleton(bundled_font_renderer)
    tailor_resume = providers.Factory(
        TailorResume,
        uow=uow,
        analyser=job_analyser,
        clock=clock,
        queue=task_queue,
        model=document_model,
        budget=token_budget,
    )
    draft_cover_letter = providers.Factory(
        DraftCoverLetter,
        uow=uow,
        analyser=job_analyser,
        clock=clock,
        queue=task_queue,
        model=document_model,
        budget=token_budget,
    )
    produce_document = providers.Factory(
        ProduceDocument,
        uow=uow,
        analyser=job_analyser,
        clock=clock,
        model=language_model,
        prices=token_prices,
        budget=token_budget,
    )
    fail_document = providers.Factory(FailDocument, uow=uow, clock=clock)
    list_documents = providers.Factory(ListDocuments, uow=uow)
    get_document = providers.Factory(GetDocument, uow=uow)
    export_document = providers.Factory(ExportDocument, uow=uow, renderer=document_renderer)
    export_resume = providers.Factory(ExportResume, uow=uow, renderer=document_renderer)
    read_resume_version = providers.Factory(ReadResumeVersion, uow=uow)

    # applications: the submitter (Skyvern when SKYVERN_API_KEY is set, else the dry run), the
    # webhook URL Skyvern reports to, and the reader of its signed callbacks
    webhook_url = providers.Singleton(skyvern_webhook_url, settings=settings)
    application_submitter = providers.Selector(
        providers.Callable(submitter_kind, settings=settings),
        skyvern=providers.Singleton(
            SkyvernSubmitter,
            http=http_client,
            api_key=settings.provided.skyvern_api_key,
            base_url=settings.provided.skyvern_base_url,
            webhook_url=webhook_url,
            max_steps=settings.provided.skyvern_max_steps,
        ),
        dry_run=providers.Singleton(DryRunSubmitter),
    )
    run_webhook = providers.Singleton(skyvern_run_webhook, settings=settings)
    # Idempotency-Key on create endpoints (jobraker_http.idempotency)
    idempotency_store = providers.Singleton(PostgresIdempotencyStore, pool=db_pool)
    idempotent_requests = providers.Singleton(
        IdempotentRequests, store=idempotency_store, clock=clock
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

    # applications (jobraker_core.applications): apply, track, approve, submit through the
    # outbox and the submitter above, settle runs (webhook, reconciler), limits, analytics
    relay_tasks = providers.Factory(RelayTasks, uow=uow, queue=task_queue, clock=clock)
    match_scores = providers.Factory(ExplainedMatchScores, explain=explain_match)
    apply_to_job = providers.Factory(
        ApplyToJob, uow=uow, clock=clock, scores=match_scores, relay=relay_tasks
    )
    track_application = providers.Factory(TrackApplication, uow=uow, clock=clock)
    list_applications = providers.Factory(ListApplications, uow=uow)
    get_application = providers.Factory(GetApplication, uow=uow)
    list_application_events = providers.Factory(ListApplicationEvents, uow=uow)
    update_application = providers.Factory(
        UpdateApplication, uow=uow, clock=clock, relay=relay_tasks
    )
    answer_question = providers.Factory(AnswerQuestion, uow=uow, clock=clock, relay=relay_tasks)
    approve_application = providers.Factory(
        ApproveApplication, uow=uow, clock=clock, relay=relay_tasks
    )
    reject_packet = providers.Factory(RejectPacket, uow=uow, clock=clock)
    withdraw_application = providers.Factory(
        WithdrawApplication, uow=uow, clock=clock, relay=relay_tasks
    )
    delete_application = providers.Factory(DeleteApplication, uow=uow)
    get_application_settings = providers.Factory(GetApplicationSettings, uow=uow)
    update_application_settings = providers.Factory(UpdateApplicationSettings, uow=uow, clock=clock)
    list_bank_answers = providers.Factory(ListBankAnswers, uow=uow)
    put_bank_answer = providers.Factory(PutBankAnswer, uow=uow, clock=clock)
    delete_bank_answer = providers.Factory(DeleteBankAnswer, uow=uow)
    list_site_breakers = providers.Factory(ListSiteBreakers, uow=uow, clock=clock)
    application_analytics = providers.Factory(GetApplicationAnalytics, uow=uow)
    application_spending = providers.Factory(GetApplicationSpending, uow=uow)
    notify_due_reminders = providers.Factory(NotifyDueReminders, uow=uow, clock=clock)
    get_usage = providers.Factory(GetUsage, uow=uow)
    record_run_report = providers.Factory(RecordRunReport, uow=uow, clock=clock)
    submit_application = providers.Factory(
        SubmitApplication,
        uow=uow,
        submitter=application_submitter,
        record=record_run_report,
        clock=clock,
        webhook_url=webhook_url,
        max_steps=settings.provided.skyvern_max_steps,
        orphan_after=providers.Callable(_minutes, settings.provided.application_orphan_minutes),
        relay=relay_tasks,
    )
    cancel_application_run = providers.Factory(
        CancelApplicationRun, uow=uow, submitter=application_submitter
    )
    reconcile_applications = providers.Factory(
        ReconcileApplications,
        uow=uow,
        submitter=application_submitter,
        record=record_run_report,
        clock=clock,
        orphan_after=providers.Callable(_minutes, settings.provided.application_orphan_minutes),
    )
    receive_run_webhook = providers.Factory(
        ReceiveRunWebhook,
        uow=uow,
        webhook=run_webhook,
        record=record_run_report,
        audit=audit_events,
    )

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

    # notifications: pushes (WebSocket through Redis; e-mail over SMTP when JOBRAKER_SMTP_HOST is
    # set), the inbox, preferences, one-click unsubscribe; the API's WebSocket channels client
    notifiers = providers.Singleton(production_notifiers, settings=settings, client=redis)
    unsubscribe_tokens = providers.Singleton(HmacUnsubscribeTokens, jwt_secret)
    unsubscribe_link = providers.Singleton(unsubscribe_link, settings=settings)
    realtime_redis = providers.Singleton(realtime_redis, endpoints=endpoints)
    dispatch_notifications = providers.Factory(
        DispatchNotifications,
        uow=uow,
        notifiers=notifiers,
        tokens=unsubscribe_tokens,
        clock=clock,
        unsubscribe_link=unsubscribe_link,
    )
    send_digests = providers.Factory(
        SendDigests,
        uow=uow,
        notifiers=notifiers,
        tokens=unsubscribe_tokens,
        clock=clock,
        unsubscribe_link=unsubscribe_link,
    )
    list_notifications = providers.Factory(ListNotifications, uow=uow)
    mark_notification_read = providers.Factory(MarkNotificationRead, uow=uow, clock=clock)
    mark_all_notifications_read = providers.Factory(MarkAllNotificationsRead, uow=uow, clock=clock)
    get_notification_preferences = providers.Factory(GetNotificationPreferences, uow=uow)
    replace_notification_preferences = providers.Factory(
        ReplaceNotificationPreferences, uow=uow, clock=clock
    )
    unsubscribe = providers.Factory(Unsubscribe, uow=uow, tokens=unsubscribe_tokens, clock=clock)
    notify_strong_matches = providers.Factory(
        NotifyStrongMatches, uow=uow, engine=match_engine, clock=clock
    )

    # market intelligence: job facts, salary insight (with Adzuna's figures when configured)
    # and posting trends
    market_data = providers.Singleton(PostgresMarketData, pool=db_pool)
    external_salaries = providers.Singleton(
        adzuna_salary_data, settings=settings, http=http_client, redis=redis, clock=clock
    )
    analyse_market = providers.Factory(
        AnalyseMarket, market=market_data, analyser=job_analyser, analyses=job_analyses
    )
    salary_insight = providers.Factory(
        SalaryInsight, market=market_data, titles=title_normaliser, external=external_salaries
    )
    market_trends = providers.Factory(MarketTrends, market=market_data, titles=title_normaliser)

    # moderation of jobs, source health, platform metrics and /metrics (jobraker_core.moderation,
    # jobraker_adapters.metrics)
    link_checker = providers.Singleton(HttpLinkChecker, http=http_client)
    moderate_jobs = providers.Factory(ModerateJobs, uow=uow, clock=clock)
    check_apply_links = providers.Factory(
        CheckApplyLinks, uow=uow, checker=link_checker, clock=clock
    )
    list_flags = providers.Factory(ListFlags, uow=uow)
    review_flag = providers.Factory(ReviewFlag, uow=uow, clock=clock, audit=audit_events)
    platform_statistics = providers.Singleton(PostgresPlatformStatistics, pool=db_pool)
    queue_monitor = providers.Singleton(
        RQQueueMonitor, redis=redis, queue_name=settings.provided.queue_name
    )
    get_source_health = providers.Factory(GetSourceHealth, uow=uow, clock=clock)
    get_platform_metrics = providers.Factory(
        GetPlatformMetrics,
        uow=uow,
        statistics=platform_statistics,
        queues=queue_monitor,
        clock=clock,
    )
    fleet_metrics = providers.Singleton(
        fleet_collector,
        redis=redis.provider,
        queues=queue_monitor.provider,
        ingestion=platform_statistics.provider,
    )
    process_metrics = providers.Factory(ProcessMetrics, fleet=fleet_metrics)

    # the assistant's chat (jobraker_core.assistant): the tools are the use cases above, run for
    # the person chatting; change tools only propose, and the handlers carry out what the person
    # confirms; the context carries their latest applications
    completion_cache = providers.Singleton(RedisCompletionCache, redis)
    chat_action_tools = providers.Singleton(
        action_tools,
        list_applications=list_applications,
        get_application=get_application,
        get_job=get_job,
        tailor_resume=tailor_resume,
        draft_cover_letter=draft_cover_letter,
    )
    chat_tools = providers.Singleton(
        product_tools,
        search=search_jobs,
        recommend=recommend_jobs,
        explain=explain_match,
        insight=career_insight,
        get_job=get_job,
        salaries=salary_insight,
        market=market_data,
        extra=chat_action_tools,
    )
    proposal_handlers = providers.Singleton(
        action_handlers,
        update_application=update_application,
        withdraw_application=withdraw_application,
        tailor_resume=tailor_resume,
        draft_cover_letter=draft_cover_letter,
    )
    chat_context = providers.Object((ApplicationsContext(),))
    send_message = providers.Factory(
        SendMessage,
        uow=uow,
        model=language_model,
        tools=chat_tools,
        clock=clock,
        prices=token_prices,
        budget=token_budget,
        cache=completion_cache,
        context_sources=chat_context,
    )
    list_conversations = providers.Factory(ListConversations, uow=uow)
    get_conversation = providers.Factory(GetConversation, uow=uow)
    delete_conversation = providers.Factory(DeleteConversation, uow=uow)
    confirm_proposal = providers.Factory(
        ConfirmProposal, uow=uow, handlers=proposal_handlers, clock=clock
    )
    reject_proposal = providers.Factory(RejectProposal, uow=uow, clock=clock)


def _recording_notifiers() -> list[RecordingNotifier]:
    return [RecordingNotifier(Channel.WEBSOCKET), RecordingNotifier(Channel.EMAIL)]


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
    container.job_analyses.override(
        providers.Singleton(InMemoryJobAnalysisRepository, store=container.uow.provided.store)
    )
    container.job_embeddings.override(
        providers.Singleton(InMemoryJobEmbeddingRepository, store=container.uow.provided.store)
    )
    container.job_retriever.override(
        providers.Singleton(
            InMemoryJobRetriever,
            embeddings=container.job_embeddings,
            spec=container.embedding_spec,
            analyses=container.job_analyses,
        )
    )
    container.rate_limiter.override(providers.Singleton(InMemoryRateLimiter, container.clock))
    container.completion_cache.override(providers.Singleton(InMemoryCompletionCache))
    container.jwt_secret.override(providers.Singleton(secrets.token_bytes, 64))
    container.password_hasher.override(providers.Singleton(InMemoryPasswordHasher))
    container.revocations.override(providers.Singleton(InMemoryRevocationStore, container.clock))
    container.login_throttle.override(providers.Singleton(InMemoryLoginThrottle, container.clock))
    container.secret_box.override(
        providers.Singleton(AesGcmSecretBox, providers.Singleton(Keyring.generate))
    )
    container.oidc_providers.override(providers.Singleton(InMemoryOidcProviders))
    container.oidc_states.override(providers.Singleton(InMemoryOidcStateStore, container.clock))
    container.user_data_cache.override(
        providers.Singleton(
            InMemoryUserDataCache,
            stores=providers.List(container.idempotency_store, container.completion_cache),
        )
    )
    container.metrics_sink.override(providers.Singleton(InMemoryMetricsSink))
    container.link_checker.override(providers.Singleton(InMemoryLinkChecker))
    container.platform_statistics.override(
        providers.Singleton(InMemoryPlatformStatistics, store=container.uow.provided.store)
    )
    container.queue_monitor.override(
        providers.Singleton(InMemoryQueueMonitor, queue=container.task_queue)
    )
    container.fleet_metrics.override(
        providers.Singleton(
            FleetCollector,
            redis=None,
            queues=container.queue_monitor.provider,
            ingestion=container.platform_statistics.provider,
            sink=container.metrics_sink,
        )
    )
    container.notifiers.override(providers.Singleton(_recording_notifiers))
    container.realtime_redis.override(providers.Object(None))
    container.market_data.override(
        providers.Singleton(InMemoryMarketData, store=container.uow.provided.store)
    )
    container.external_salaries.override(providers.Object(None))
    container.application_submitter.override(providers.Singleton(DryRunSubmitter))
    container.idempotency_store.override(providers.Singleton(InMemoryIdempotencyStore))
    return container
