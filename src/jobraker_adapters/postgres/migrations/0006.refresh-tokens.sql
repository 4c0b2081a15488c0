-- Refresh tokens: each login opens a family (a session); each refresh consumes the family's
-- current token and adds the next. Tokens are stored as the SHA-256 digest of the opaque value,
-- never the value itself.
-- depends: 0005.users

CREATE TABLE refresh_token_families (
    id          uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CONSTRAINT refresh_token_families_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_token_families_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

-- "Revoke every live session of this user".
CREATE INDEX refresh_token_families_live_idx ON refresh_token_families (user_id)
    WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash   text        NOT NULL,
    family_id    uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    issued_at    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (token_hash),
    CONSTRAINT refresh_tokens_family_fkey FOREIGN KEY (family_id)
        REFERENCES refresh_token_families (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT refresh_tokens_lifetime_check CHECK (expires_at > issued_at)
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
