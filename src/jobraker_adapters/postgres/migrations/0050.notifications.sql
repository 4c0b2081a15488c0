-- Notifications: each person's preferences, the in-app inbox, and one delivery record per
-- (event, channel) that keeps an event from reaching a channel twice (see
-- jobraker_core.notifications and jobraker_adapters.postgres.notifications).
-- depends: 0019.outbox-usage

-- The preferences as one document (channels per kind, digest, time zone, quiet hours), written
-- and read by jobraker_adapters.postgres.notifications; the score threshold is also a column so
-- the people who set one are found without reading every document.
CREATE TABLE notification_preferences (
    user_id         uuid             NOT NULL,
    document        jsonb            NOT NULL,
    match_threshold double precision,
    updated_at      timestamptz      NOT NULL,
    CONSTRAINT notification_preferences_pkey PRIMARY KEY (user_id),
    CONSTRAINT notification_preferences_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT notification_preferences_document_check CHECK (jsonb_typeof(document) = 'object'),
    CONSTRAINT notification_preferences_threshold_check CHECK (match_threshold BETWEEN 0 AND 100)
);
CREATE INDEX notification_preferences_threshold_idx ON notification_preferences (user_id)
    WHERE match_threshold IS NOT NULL;

-- The in-app inbox: one item per event (same id), kept after the event is delivered.
CREATE TABLE notification_inbox (
    id         uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    kind       text        NOT NULL,
    title      text        NOT NULL,
    body       text        NOT NULL,
    data       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    CONSTRAINT notification_inbox_pkey PRIMARY KEY (id),
    CONSTRAINT notification_inbox_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX notification_inbox_user_idx ON notification_inbox (user_id, created_at DESC, id DESC);
CREATE INDEX notification_inbox_unread_idx ON notification_inbox (user_id, created_at DESC, id DESC)
    WHERE read_at IS NULL;

-- One record per (event, channel) pushed: sent, held until due_at (quiet hours or a retry),
-- kept for the daily digest, or given up.
CREATE TABLE notification_deliveries (
    event_id   uuid        NOT NULL,
    channel    text        NOT NULL,
    user_id    uuid        NOT NULL,
    state      text        NOT NULL,
    due_at     timestamptz,
    attempts   integer     NOT NULL DEFAULT 0,
    error      text,
    updated_at timestamptz NOT NULL,
    CONSTRAINT notification_deliveries_pkey PRIMARY KEY (event_id, channel),
    CONSTRAINT notification_deliveries_event_fkey FOREIGN KEY (event_id)
        REFERENCES notification_events (id) ON DELETE CASCADE,
    CONSTRAINT notification_deliveries_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT notification_deliveries_channel_check CHECK (channel IN ('websocket', 'email')),
    CONSTRAINT notification_deliveries_state_check
        CHECK (state IN ('sent', 'held', 'digest', 'failed')),
    CONSTRAINT notification_deliveries_due_check CHECK ((state = 'held') = (due_at IS NOT NULL)),
    CONSTRAINT notification_deliveries_attempts_check CHECK (attempts >= 0)
);
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (due_at)
    WHERE state = 'held';
CREATE INDEX notification_deliveries_digest_idx ON notification_deliveries (user_id)
    WHERE state = 'digest';
