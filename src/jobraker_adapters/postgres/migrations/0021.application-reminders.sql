-- Reminders that notify: next_reminder_at is the time of an application's earliest reminder not
-- notified yet (NULL when there is none), written with every save from the tracking notes, so the
-- minute tick finds due reminders through a small partial index instead of reading every
-- application's notes.
-- depends: 0020.applications

ALTER TABLE applications ADD COLUMN next_reminder_at timestamptz;

UPDATE applications SET next_reminder_at = (
    SELECT min((r ->> 'at')::timestamptz)
    FROM jsonb_array_elements(tracking -> 'reminders') AS r
    WHERE coalesce(r ->> 'notified_at', '') = ''
)
WHERE jsonb_typeof(tracking -> 'reminders') = 'array';

CREATE INDEX applications_due_reminders_idx ON applications (next_reminder_at, id)
    WHERE next_reminder_at IS NOT NULL;
