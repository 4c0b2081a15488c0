DROP TABLE IF EXISTS task_outbox;
DROP TABLE IF EXISTS site_breakers;
DROP TABLE IF EXISTS answer_bank;
DROP TABLE IF EXISTS application_settings;
DROP TABLE IF EXISTS application_events;
DROP FUNCTION IF EXISTS application_events_refuse_update();
DROP TABLE IF EXISTS applications;
