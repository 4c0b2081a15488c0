-- The stored analysis of each posting (jobraker_core.matching.analysis_store): the skills,
-- experience and occupation it asks for, read once after ingestion by AnalyseJobs instead of
-- once per process that scores it. `version` names the analyser (code and taxonomy data) that
-- made the document and `content_hash` the text it was made from; a row of another version or
-- hash is never used, only made again. A posting's analysis goes with the posting.
-- depends: 0090.title-search

CREATE TABLE job_analyses (
    job_id       uuid        NOT NULL,
    version      text        NOT NULL,
    content_hash text        NOT NULL,
    job_seen_at  timestamptz NOT NULL,
    analysis     jsonb       NOT NULL,
    CONSTRAINT job_analyses_pkey PRIMARY KEY (job_id),
    CONSTRAINT job_analyses_job_fkey FOREIGN KEY (job_id)
        REFERENCES jobs (id) ON DELETE CASCADE
);
