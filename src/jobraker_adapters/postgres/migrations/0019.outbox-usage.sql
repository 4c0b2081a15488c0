-- The notification outbox (events a person may hear about, stored with the change they report)
-- and the cost ledger (automation steps and model tokens spent per person).
-- depends: 0005.users

CREATE TABLE notification_events (
    id            uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    kind          text        NOT NULL,
    dedupe_key    text        NOT NULL,
    title         text        NOT NULL,
    body          text        NOT NULL,
    data          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL,
    dispatched_at timestamptz,
    CONSTRAINT notification_events_pkey PRIMARY KEY (id),
    CONSTRAINT notification_events_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT notification_events_dedupe_key UNIQUE (user_id, kind, dedupe_key)
);
CREATE INDEX notification_events_pending_idx ON notification_events (created_at, id)
    WHERE dispatched_at IS NULL;

CREATE TABLE usage_ledger (
    id          uuid          NOT NULL,
    user_id     uuid          NOT NULL,
    kind        text          NOT NULL,
    quantity    bigint        NOT NULL,
    cost_usd    numeric(14,6) NOT NULL,
    subject     text          NOT NULL,
    model       text,
    recorded_at timestamptz   NOT NULL,
    CONSTRAINT usage_ledger_pkey PRIMARY KEY (id),
    CONSTRAINT usage_ledger_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT usage_ledger_quantity_check CHECK (quantity >= 0),
    CONSTRAINT usage_ledger_kind_check
        CHECK (kind IN ('automation_steps', 'prompt_tokens', 'completion_tokens'))
);
CREATE INDEX usage_ledger_user_idx ON usage_ledger (user_id, recorded_at);
CREATE INDEX usage_ledger_subject_idx ON usage_ledger (user_id, subject);
