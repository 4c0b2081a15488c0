-- The text search configuration of job search: English stemming and stop words, with accents
-- removed first, so that "cafe" finds "Café" (the in-memory fake folds accents the same way).
-- depends: 0001.extensions

CREATE TEXT SEARCH CONFIGURATION jobraker_english (COPY = pg_catalog.english);

ALTER TEXT SEARCH CONFIGURATION jobraker_english
    ALTER MAPPING FOR hword, hword_part, word
    WITH unaccent, english_stem;
