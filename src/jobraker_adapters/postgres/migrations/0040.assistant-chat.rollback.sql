DROP TABLE IF EXISTS chat_proposals;
DROP TABLE IF EXISTS chat_messages;
DROP TABLE IF EXISTS conversations;
