-- Undo 0021: reminders are found through the tracking notes again.
DROP INDEX IF EXISTS applications_due_reminders_idx;
ALTER TABLE applications DROP COLUMN IF EXISTS next_reminder_at;
