-- The audit log of security events: append-only.
--
-- A trigger refuses every UPDATE and DELETE, whoever runs it, the table's owner included (the
-- embedded deployment connects as the owner). Where the application connects with a role of its
-- own, that role is also denied the privileges: if a role named `jobraker_app` exists when this
-- migration runs, it keeps SELECT and INSERT only. (The owner could still drop the trigger or the
-- table; only a separate, non-owner application role closes that door. See docs/operations.md.)
--
-- Rows name people by id only; `ip` is a keyed pseudonym of the client address, never the
-- address. No foreign keys: the record of an account outlives the account.
-- depends: 0006.refresh-tokens

CREATE TABLE audit_log (
    id           uuid        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    kind         text        NOT NULL,
    actor_id     uuid,
    subject_id   uuid,
    ip           text,
    details      jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT audit_log_pkey PRIMARY KEY (id),
    CONSTRAINT audit_log_details_check CHECK (jsonb_typeof(details) = 'object')
);

-- Newest first, also per user.
CREATE INDEX audit_log_newest_idx ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, occurred_at DESC);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_id, occurred_at DESC);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jobraker_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM jobraker_app;
        GRANT SELECT, INSERT ON audit_log TO jobraker_app;
    END IF;
END;
$$;
