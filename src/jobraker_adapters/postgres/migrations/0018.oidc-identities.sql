-- External identities (OIDC / OAuth 2.0 sign-in, jobraker_core.accounts.oidc) linked to
-- accounts: one row per (provider, subject). email is what the provider said when the identity
-- was linked (personal data: exported with the account, erased with it). Pending sign-ins
-- (state, nonce, PKCE verifier) live in Redis with a TTL, not here.
-- depends: 0005.users

CREATE TABLE oidc_identities (
    provider   text        NOT NULL,
    subject    text        NOT NULL,
    user_id    uuid        NOT NULL,
    email      text,
    linked_at  timestamptz NOT NULL,
    CONSTRAINT oidc_identities_pkey PRIMARY KEY (provider, subject),
    CONSTRAINT oidc_identities_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT oidc_identities_provider_check CHECK (provider ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    CONSTRAINT oidc_identities_subject_check CHECK (char_length(subject) BETWEEN 1 AND 255)
);

CREATE INDEX oidc_identities_user_idx ON oidc_identities (user_id, linked_at);
