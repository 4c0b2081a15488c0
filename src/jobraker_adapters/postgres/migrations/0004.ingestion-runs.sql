-- Ingestion runs: one fetch of one source, with its outcome, counts and rejections.
-- depends: 0003.jobs

CREATE TABLE ingestion_runs (
    id            uuid        NOT NULL,
    source_kind   text        NOT NULL,
    -- The source's parameters as a JSON array of [name, value] pairs, in the spec's order.
    source_params jsonb       NOT NULL DEFAULT '[]',
    status        text        NOT NULL,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz,
    fetched       integer     NOT NULL DEFAULT 0,
    new           integer     NOT NULL DEFAULT 0,
    updated       integer     NOT NULL DEFAULT 0,
    duplicate     integer     NOT NULL DEFAULT 0,
    rejected      integer     NOT NULL DEFAULT 0,
    -- The first rejections as a JSON array of {"ref": ..., "reason": ...} objects.
    rejections    jsonb       NOT NULL DEFAULT '[]',
    error         text,
    attempts      integer     NOT NULL DEFAULT 0,
    -- Set on scheduled runs, one per schedule and time slot.
    schedule_key  text,
    CONSTRAINT ingestion_runs_pkey PRIMARY KEY (id),
    CONSTRAINT ingestion_runs_schedule_key_key UNIQUE (schedule_key),
    CONSTRAINT ingestion_runs_status_check CHECK (
        status IN ('queued', 'running', 'retrying', 'succeeded', 'failed')
    ),
    CONSTRAINT ingestion_runs_counts_check CHECK (
        fetched >= 0 AND new >= 0 AND updated >= 0 AND duplicate >= 0 AND rejected >= 0
        AND attempts >= 0
    ),
    CONSTRAINT ingestion_runs_source_params_check CHECK (jsonb_typeof(source_params) = 'array'),
    CONSTRAINT ingestion_runs_rejections_check CHECK (jsonb_typeof(rejections) = 'array')
);

-- Newest first.
CREATE INDEX ingestion_runs_newest_idx ON ingestion_runs (created_at DESC, id DESC);
