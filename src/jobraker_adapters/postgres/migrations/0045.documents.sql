-- Generated documents: tailored résumés and cover letters, every version kept.
-- A version of (user, kind, job) is numbered from 1. The job is kept by id and by its title and
-- company as they were (postings may be purged later); the résumé version the facts came from
-- is kept while it exists. Only a 'done' document has a body; a 'rejected' one keeps the
-- sentences the grounding gate refused (issues), never the draft.
-- depends: 0005.users 0013.resumes

CREATE TABLE documents (
    id               uuid        NOT NULL,
    user_id          uuid        NOT NULL,
    kind             text        NOT NULL,
    job_id           uuid        NOT NULL,
    version          integer     NOT NULL,
    status           text        NOT NULL,
    generator        text        NOT NULL,
    fingerprint      char(64)    NOT NULL,
    title            text        NOT NULL,
    job_title        text        NOT NULL,
    job_company      text,
    source_resume_id uuid,
    body             text        NOT NULL DEFAULT '',
    issues           jsonb       NOT NULL DEFAULT '[]'::jsonb,
    attempts         integer     NOT NULL DEFAULT 0,
    error            text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT documents_pkey PRIMARY KEY (id),
    CONSTRAINT documents_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT documents_resume_fkey FOREIGN KEY (source_resume_id)
        REFERENCES resumes (id) ON DELETE SET NULL,
    CONSTRAINT documents_version_key UNIQUE (user_id, kind, job_id, version),
    CONSTRAINT documents_version_check CHECK (version >= 1),
    CONSTRAINT documents_attempts_check CHECK (attempts >= 0),
    CONSTRAINT documents_kind_check CHECK (kind IN ('tailored_resume', 'cover_letter')),
    CONSTRAINT documents_status_check
        CHECK (status IN ('queued', 'running', 'done', 'rejected', 'failed')),
    CONSTRAINT documents_body_check CHECK (status = 'done' OR body = '')
);
CREATE INDEX documents_user_idx ON documents (user_id, created_at DESC, id);
CREATE INDEX documents_reuse_idx ON documents (user_id, kind, job_id, fingerprint);
