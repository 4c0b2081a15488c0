-- Two-factor sign-in (jobraker_core.accounts.twofactor): TOTP enrolments, recovery codes, and the
-- challenges a login waits on between its password step and its code step.
--
-- totp_secret is sealed (AES-256-GCM, jobraker_adapters.security.secretbox) with associated data
-- naming this table, this column and the user id: it is never stored in the clear, and it does
-- not open in another row. last_used_step makes a code single-use: accepting one is
-- `UPDATE ... SET last_used_step = s WHERE last_used_step IS NULL OR last_used_step < s`, which
-- only one of two concurrent requests can do. Recovery codes and challenges are stored as
-- SHA-256 digests only. Deleting a user deletes all of it.
-- depends: 0005.users

CREATE TABLE two_factor_enrolments (
    user_id        uuid        NOT NULL,
    totp_secret    bytea       NOT NULL,
    created_at     timestamptz NOT NULL,
    -- NULL while pending: logins do not ask for a code until the enrolment is confirmed.
    confirmed_at   timestamptz,
    last_used_step bigint,
    CONSTRAINT two_factor_enrolments_pkey PRIMARY KEY (user_id),
    CONSTRAINT two_factor_enrolments_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT two_factor_enrolments_secret_check CHECK (octet_length(totp_secret) > 28),
    CONSTRAINT two_factor_enrolments_step_check CHECK (last_used_step >= 0)
);

CREATE TABLE recovery_codes (
    user_id    uuid        NOT NULL,
    code_hash  text        NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, code_hash),
    CONSTRAINT recovery_codes_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT recovery_codes_hash_check CHECK (code_hash ~ '^[0-9a-f]{64}$')
);

CREATE TABLE two_factor_challenges (
    challenge_hash text        NOT NULL,
    user_id        uuid        NOT NULL,
    token_version  integer     NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    attempts       integer     NOT NULL DEFAULT 0,
    consumed_at    timestamptz,
    CONSTRAINT two_factor_challenges_pkey PRIMARY KEY (challenge_hash),
    CONSTRAINT two_factor_challenges_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT two_factor_challenges_hash_check CHECK (challenge_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT two_factor_challenges_lifetime_check CHECK (expires_at > created_at),
    CONSTRAINT two_factor_challenges_attempts_check CHECK (attempts >= 0)
);

CREATE INDEX two_factor_challenges_user_idx ON two_factor_challenges (user_id);
-- Old challenges can be swept by expiry.
CREATE INDEX two_factor_challenges_expiry_idx ON two_factor_challenges (expires_at);
