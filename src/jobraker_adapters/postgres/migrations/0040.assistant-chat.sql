-- The assistant's conversations (jobraker_core.assistant.chat): each person's conversations, their
-- messages in order (the person's, the assistant's, tool calls and results), and the changes the
-- assistant proposed for the person to confirm.
-- depends: 0005.users

CREATE TABLE conversations (
    id            uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    title         text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    message_count integer     NOT NULL DEFAULT 0,
    CONSTRAINT conversations_pkey PRIMARY KEY (id),
    CONSTRAINT conversations_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT conversations_count_check CHECK (message_count >= 0)
);
CREATE INDEX conversations_user_idx ON conversations (user_id, updated_at DESC, id);

CREATE TABLE chat_messages (
    id                uuid          NOT NULL,
    conversation_id   uuid          NOT NULL,
    user_id           uuid          NOT NULL,
    seq               integer       NOT NULL,
    role              text          NOT NULL,
    content           text,
    tool_calls        jsonb         NOT NULL DEFAULT '[]'::jsonb,
    tool_call_id      text,
    created_at        timestamptz   NOT NULL,
    model             text,
    prompt_tokens     integer       NOT NULL DEFAULT 0,
    completion_tokens integer       NOT NULL DEFAULT 0,
    cost_usd          numeric(14,6) NOT NULL DEFAULT 0,
    cached            boolean       NOT NULL DEFAULT false,
    CONSTRAINT chat_messages_pkey PRIMARY KEY (id),
    CONSTRAINT chat_messages_conversation_fkey FOREIGN KEY (conversation_id)
        REFERENCES conversations (id) ON DELETE CASCADE,
    CONSTRAINT chat_messages_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chat_messages_seq_key UNIQUE (conversation_id, seq),
    CONSTRAINT chat_messages_role_check CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    CONSTRAINT chat_messages_seq_check CHECK (seq >= 1)
);

CREATE TABLE chat_proposals (
    id              uuid        NOT NULL,
    conversation_id uuid        NOT NULL,
    user_id         uuid        NOT NULL,
    kind            text        NOT NULL,
    arguments       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    description     text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending',
    created_at      timestamptz NOT NULL,
    decided_at      timestamptz,
    result          text,
    CONSTRAINT chat_proposals_pkey PRIMARY KEY (id),
    CONSTRAINT chat_proposals_conversation_fkey FOREIGN KEY (conversation_id)
        REFERENCES conversations (id) ON DELETE CASCADE,
    CONSTRAINT chat_proposals_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chat_proposals_status_check CHECK (status IN ('pending', 'confirmed', 'rejected'))
);
CREATE INDEX chat_proposals_conversation_idx ON chat_proposals (conversation_id, created_at);
