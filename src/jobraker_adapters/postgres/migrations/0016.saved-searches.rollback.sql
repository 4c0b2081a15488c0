DROP TABLE IF EXISTS saved_search_hits;
DROP TABLE IF EXISTS saved_searches;
