-- Applications: one person's application to one job, its append-only events, the person's
-- limits and answer bank, the per-site circuit breakers, and the transactional outbox of tasks.
--
-- "Never twice": at most one live application (status other than 'withdrawn') per person and
-- canonical job key, enforced by the partial unique index applications_live_job_key and taken
-- with INSERT ... ON CONFLICT DO NOTHING in the transaction of the first state change.
-- depends: 0019.outbox-usage

CREATE TABLE applications (
    id                   uuid        NOT NULL,
    user_id              uuid        NOT NULL,
    job_key              text        NOT NULL,
    job_id               uuid,
    title                text        NOT NULL,
    company              text,
    company_key          text        NOT NULL DEFAULT '',
    source               text,
    apply_url            text,
    location             text,
    mode                 text        NOT NULL,
    status               text        NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              integer     NOT NULL DEFAULT 0,
    match_score          double precision,
    packet               jsonb,
    packet_hash_approved text,
    attempt_id           uuid,
    claimed_at           timestamptz,
    run_id               text,
    run_state            text,
    dry_run              boolean     NOT NULL DEFAULT false,
    confirmation         text,
    sent                 jsonb       NOT NULL DEFAULT '[]'::jsonb,
    not_before           timestamptz,
    failure_reason       text,
    applied_at           timestamptz,
    tracking             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT applications_pkey PRIMARY KEY (id),
    CONSTRAINT applications_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT applications_mode_check CHECK (mode IN ('manual', 'auto')),
    CONSTRAINT applications_status_check CHECK (status IN (
        'saved', 'draft', 'needs_user', 'pending_approval', 'approved', 'queued', 'submitting',
        'submitted_unverified', 'submitted', 'interviewing', 'offer', 'accepted', 'rejected',
        'withdrawn', 'failed', 'needs_review')),
    CONSTRAINT applications_submitting_claimed CHECK (
        status <> 'submitting' OR (attempt_id IS NOT NULL AND claimed_at IS NOT NULL))
);
CREATE UNIQUE INDEX applications_live_job_key ON applications (user_id, job_key)
    WHERE status <> 'withdrawn';
CREATE UNIQUE INDEX applications_run_id ON applications (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX applications_user_newest_idx ON applications (user_id, created_at DESC, id DESC);
CREATE INDEX applications_stuck_idx ON applications (updated_at)
    WHERE status IN ('queued', 'submitting');
CREATE INDEX applications_claims_idx ON applications (user_id, claimed_at)
    WHERE claimed_at IS NOT NULL;

CREATE TABLE application_events (
    id             uuid        NOT NULL,
    seq            bigint      GENERATED ALWAYS AS IDENTITY,
    application_id uuid        NOT NULL,
    user_id        uuid        NOT NULL,
    at             timestamptz NOT NULL,
    actor          text        NOT NULL,
    from_status    text,
    to_status      text        NOT NULL,
    reason         text        NOT NULL,
    data           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT application_events_pkey PRIMARY KEY (id),
    CONSTRAINT application_events_application_fkey FOREIGN KEY (application_id)
        REFERENCES applications (id) ON DELETE CASCADE,
    CONSTRAINT application_events_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT application_events_actor_check CHECK (actor IN ('user', 'system'))
);
CREATE INDEX application_events_application_idx ON application_events (application_id, at, seq);
CREATE INDEX application_events_user_idx ON application_events (user_id, at, seq);

-- Events are append-only: an UPDATE is refused (rows go only with their application or user).
CREATE FUNCTION application_events_refuse_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'application_events is append-only';
END;
$$;
CREATE TRIGGER application_events_append_only BEFORE UPDATE ON application_events
    FOR EACH ROW EXECUTE FUNCTION application_events_refuse_update();

CREATE TABLE application_settings (
    user_id                uuid             NOT NULL,
    per_day                integer          NOT NULL,
    employer_spacing_hours integer          NOT NULL,
    quiet_start            time,
    quiet_end              time,
    timezone               text             NOT NULL,
    auto_approve           boolean          NOT NULL,
    auto_approve_min_score double precision NOT NULL,
    updated_at             timestamptz,
    CONSTRAINT application_settings_pkey PRIMARY KEY (user_id),
    CONSTRAINT application_settings_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT application_settings_quiet_check CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

CREATE TABLE answer_bank (
    user_id    uuid        NOT NULL,
    topic      text        NOT NULL,
    answer     text        NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT answer_bank_pkey PRIMARY KEY (user_id, topic),
    CONSTRAINT answer_bank_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- No personal data: a host name and counters, shared by everyone applying there.
CREATE TABLE site_breakers (
    site        text        NOT NULL,
    failures    integer     NOT NULL DEFAULT 0,
    opened      integer     NOT NULL DEFAULT 0,
    open_until  timestamptz,
    last_signal text,
    updated_at  timestamptz,
    CONSTRAINT site_breakers_pkey PRIMARY KEY (site)
);

-- Tasks written in the transaction of the change that needs them; relayed to RQ after commit.
CREATE TABLE task_outbox (
    id         uuid        NOT NULL,
    task       text        NOT NULL,
    args       jsonb       NOT NULL,
    job_id     text        NOT NULL,
    created_at timestamptz NOT NULL,
    not_before timestamptz,
    relayed_at timestamptz,
    CONSTRAINT task_outbox_pkey PRIMARY KEY (id),
    CONSTRAINT task_outbox_job_id UNIQUE (job_id)
);
CREATE INDEX task_outbox_pending_idx ON task_outbox (created_at, id) WHERE relayed_at IS NULL;
