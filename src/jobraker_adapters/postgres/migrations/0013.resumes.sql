-- Résumé versions: every file (or pasted text) a person uploaded, with the text read from it.
-- A person's versions are numbered from 1; the pair (user, version) is unique.
-- depends: 0005.users

CREATE TABLE resumes (
    id          uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    version     integer     NOT NULL,
    filename    text,
    media_type  text        NOT NULL,
    size        integer     NOT NULL,
    sha256      char(64)    NOT NULL,
    -- The text read from the file (personal data: exported with the account, erased with it).
    text        text        NOT NULL,
    uploaded_at timestamptz NOT NULL,
    CONSTRAINT resumes_pkey PRIMARY KEY (id),
    CONSTRAINT resumes_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT resumes_user_version_key UNIQUE (user_id, version),
    CONSTRAINT resumes_version_check CHECK (version >= 1),
    CONSTRAINT resumes_size_check CHECK (size >= 0),
    CONSTRAINT resumes_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
