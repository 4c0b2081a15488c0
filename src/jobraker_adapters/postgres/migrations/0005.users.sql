-- Accounts: one row per user. Emails are stored normalised (trimmed, lower-case), so the unique
-- constraint makes them unique case-insensitively.
-- depends: 0004.ingestion-runs

CREATE TABLE users (
    id             uuid        NOT NULL,
    email          text        NOT NULL,
    role           text        NOT NULL,
    status         text        NOT NULL,
    -- argon2id in PHC string format; NULL for an account that cannot sign in with a password.
    password_hash  text,
    created_at     timestamptz NOT NULL,
    -- Bumped on password change, "log out everywhere" and disabling: older tokens die.
    token_version  integer     NOT NULL DEFAULT 0,
    last_login_at  timestamptz,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_normalised_check CHECK (email = lower(btrim(email)) AND email <> ''),
    CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
    CONSTRAINT users_status_check CHECK (status IN ('active', 'disabled')),
    CONSTRAINT users_token_version_check CHECK (token_version >= 0)
);

-- The admin list: oldest first.
CREATE INDEX users_created_idx ON users (created_at, id);
