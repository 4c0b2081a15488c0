DROP TABLE IF EXISTS notification_deliveries;
DROP TABLE IF EXISTS notification_inbox;
DROP TABLE IF EXISTS notification_preferences;
