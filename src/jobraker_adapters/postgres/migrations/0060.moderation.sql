-- Moderation of job postings: per-job fingerprints the flag rules compare, quality flags (one per
-- job and rule, with their evidence and review), and admins' decisions per rule and company that
-- feed back into the rules. Rows of a deleted job go with it. No personal data: reviewers are
-- recorded in the audit log only.
-- depends: 0003.jobs

CREATE TABLE moderation_fingerprints (
    job_id          uuid        NOT NULL,
    title_key       text        NOT NULL,
    company_key     text        NOT NULL,
    simhash         bigint      NOT NULL,
    place           text        NOT NULL,
    source          text        NOT NULL,
    first_seen      timestamptz NOT NULL,
    posted_at       timestamptz,
    annual_salary   numeric,
    currency        char(3),
    link_checked_at timestamptz,
    CONSTRAINT moderation_fingerprints_pkey PRIMARY KEY (job_id),
    CONSTRAINT moderation_fingerprints_job_fkey FOREIGN KEY (job_id)
        REFERENCES jobs (id) ON DELETE CASCADE
);
CREATE INDEX moderation_fingerprints_title_idx
    ON moderation_fingerprints (title_key, first_seen DESC);

CREATE TABLE moderation_flags (
    id          uuid        NOT NULL,
    job_id      uuid        NOT NULL,
    rule        text        NOT NULL,
    evidence    jsonb       NOT NULL DEFAULT '[]'::jsonb,
    company_key text        NOT NULL,
    status      text        NOT NULL,
    raised_at   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    reviewed_at timestamptz,
    note        text,
    CONSTRAINT moderation_flags_pkey PRIMARY KEY (id),
    CONSTRAINT moderation_flags_job_fkey FOREIGN KEY (job_id)
        REFERENCES jobs (id) ON DELETE CASCADE,
    CONSTRAINT moderation_flags_job_rule_key UNIQUE (job_id, rule),
    CONSTRAINT moderation_flags_status_check CHECK (status IN ('open', 'confirmed', 'dismissed')),
    CONSTRAINT moderation_flags_evidence_check CHECK (jsonb_typeof(evidence) = 'array')
);
CREATE INDEX moderation_flags_queue_idx ON moderation_flags (status, raised_at DESC, id DESC);
CREATE INDEX moderation_flags_company_idx ON moderation_flags (rule, company_key)
    WHERE status = 'open';

CREATE TABLE moderation_decisions (
    rule        text        NOT NULL,
    company_key text        NOT NULL,
    verdict     text        NOT NULL,
    decided_at  timestamptz NOT NULL,
    flag_id     uuid,
    CONSTRAINT moderation_decisions_pkey PRIMARY KEY (rule, company_key),
    CONSTRAINT moderation_decisions_verdict_check CHECK (verdict IN ('allow', 'block'))
);

-- Moderation looks up the jobs an ingestion run just saw.
CREATE INDEX IF NOT EXISTS jobs_last_seen_idx ON jobs (last_seen);
