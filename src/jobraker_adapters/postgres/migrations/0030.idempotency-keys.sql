-- Idempotency-Key records (jobraker_core.idempotency): one per (user, key), holding the request's
-- fingerprint and, once it finished, the response replayed to retries. Rows expire after 24 h
-- (expires_at) and go with their user.
-- depends: 0005.users

CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    fingerprint text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    locked_until timestamptz NOT NULL,
    response_status integer CHECK (response_status BETWEEN 100 AND 599),
    response_headers jsonb,
    response_body bytea,
    CONSTRAINT idempotency_keys_user_key UNIQUE (user_id, key),
    CONSTRAINT idempotency_keys_response_whole CHECK (
        (response_status IS NULL) = (response_body IS NULL)
    )
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
