-- Saved searches and the new jobs found for each after ingestions (one hit per search and job).
-- depends: 0005.users 0003.jobs

CREATE TABLE saved_searches (
    id         uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    name       text        NOT NULL,
    -- The filters, written and read by jobraker_adapters.postgres.matching (a JobQuery).
    query      jsonb       NOT NULL,
    min_score  double precision,
    created_at timestamptz NOT NULL,
    checked_at timestamptz,
    CONSTRAINT saved_searches_pkey PRIMARY KEY (id),
    CONSTRAINT saved_searches_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT saved_searches_min_score_check CHECK (min_score BETWEEN 0 AND 100),
    CONSTRAINT saved_searches_name_check CHECK (char_length(name) BETWEEN 1 AND 200)
);
CREATE INDEX saved_searches_user_idx ON saved_searches (user_id, created_at DESC, id DESC);

CREATE TABLE saved_search_hits (
    search_id uuid        NOT NULL,
    job_id    uuid        NOT NULL,
    found_at  timestamptz NOT NULL,
    score     double precision,
    CONSTRAINT saved_search_hits_pkey PRIMARY KEY (search_id, job_id),
    CONSTRAINT saved_search_hits_search_fkey FOREIGN KEY (search_id)
        REFERENCES saved_searches (id) ON DELETE CASCADE,
    CONSTRAINT saved_search_hits_job_fkey FOREIGN KEY (job_id)
        REFERENCES jobs (id) ON DELETE CASCADE
);
CREATE INDEX saved_search_hits_found_idx ON saved_search_hits (search_id, found_at DESC, job_id);
