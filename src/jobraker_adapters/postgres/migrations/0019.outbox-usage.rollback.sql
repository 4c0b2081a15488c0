DROP TABLE IF EXISTS usage_ledger;
DROP TABLE IF EXISTS notification_events;
