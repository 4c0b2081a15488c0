-- Feedback on jobs: the latest word of each person on each job (save, or dismiss with a
-- reason). The job's traits are kept with it, so a dismissal still lowers similar jobs after
-- the dismissed one is gone: there is deliberately no foreign key to jobs.
-- depends: 0005.users

CREATE TABLE match_feedback (
    user_id    uuid        NOT NULL,
    job_id     uuid        NOT NULL,
    kind       text        NOT NULL,
    reason     text,
    note       text,
    traits     jsonb       NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT match_feedback_pkey PRIMARY KEY (user_id, job_id),
    CONSTRAINT match_feedback_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT match_feedback_kind_check CHECK (kind IN ('save', 'dismiss')),
    CONSTRAINT match_feedback_reason_check CHECK (
        (kind = 'save' AND reason IS NULL)
        OR (kind = 'dismiss' AND reason IN ('not_relevant', 'too_junior', 'too_senior',
            'wrong_location', 'salary_too_low', 'company', 'already_applied', 'other'))
    ),
    CONSTRAINT match_feedback_note_check CHECK (char_length(note) <= 500)
);
