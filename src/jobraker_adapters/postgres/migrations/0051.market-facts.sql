-- What market queries know of each job, read once from its text by AnalyseMarket: the taxonomy
-- occupation its title maps to, its folded title words and the taxonomy skills it asks for.
-- ``job_seen_at`` is the job's last_seen when it was read; a job seen again since is read again.
-- depends: 0003.jobs

CREATE TABLE job_market_facts (
    job_id          uuid        NOT NULL,
    occupation_code text,
    occupation      text,
    title_words     text[]      NOT NULL,
    skills          text[]      NOT NULL,
    job_seen_at     timestamptz NOT NULL,
    CONSTRAINT job_market_facts_pkey PRIMARY KEY (job_id),
    CONSTRAINT job_market_facts_job_fkey FOREIGN KEY (job_id)
        REFERENCES jobs (id) ON DELETE CASCADE,
    CONSTRAINT job_market_facts_occupation_check
        CHECK ((occupation_code IS NULL) = (occupation IS NULL))
);
CREATE INDEX job_market_facts_occupation_idx ON job_market_facts (occupation_code);
CREATE INDEX job_market_facts_title_words_idx ON job_market_facts USING gin (title_words);

-- The week a job counts in: posted, else first seen, in UTC.
CREATE INDEX jobs_market_week_idx ON jobs ((coalesce(posted_at, first_seen) AT TIME ZONE 'UTC'));
