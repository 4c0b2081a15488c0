-- Back to full text over `search` only (the index goes with its column).

ALTER TABLE jobs DROP COLUMN title_search;
