-- Job postings, one row per canonical key, and every place (source, source id) each was seen at.
-- depends: 0002.text-search

CREATE TABLE jobs (
    id                 uuid        NOT NULL,
    key                text        NOT NULL,
    source             text        NOT NULL,
    source_id          text        NOT NULL,
    title              text        NOT NULL,
    company            text,
    description        text        NOT NULL,
    location_display   text,
    city               text,
    region             text,
    country_code       char(2),
    remote             text,
    salary_min         numeric,
    salary_max         numeric,
    salary_currency    char(3),
    salary_period      text,
    salary_estimated   boolean,
    -- Derived from the stated salary (annualised lower and upper figure), stored so that salary
    -- filters and the salary sort can use an index.
    salary_annual_low  numeric,
    salary_annual_high numeric,
    employment_type    text,
    category           text,
    posted_at          timestamptz,
    url                text,
    apply_url          text,
    first_seen         timestamptz NOT NULL,
    last_seen          timestamptz NOT NULL,
    search             tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('jobraker_english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('jobraker_english', coalesce(company, '')), 'B')
        || setweight(to_tsvector('jobraker_english', coalesce(description, '')), 'C')
    ) STORED,
    CONSTRAINT jobs_pkey PRIMARY KEY (id),
    CONSTRAINT jobs_key_key UNIQUE (key),
    CONSTRAINT jobs_country_code_check CHECK (country_code ~ '^[A-Z]{2}$'),
    CONSTRAINT jobs_remote_check CHECK (remote IN ('on_site', 'hybrid', 'remote')),
    CONSTRAINT jobs_employment_type_check CHECK (
        employment_type IN ('full_time', 'part_time', 'contract', 'temporary', 'internship')
    ),
    CONSTRAINT jobs_salary_period_check CHECK (salary_period IN ('hour', 'day', 'week', 'month', 'year')),
    CONSTRAINT jobs_salary_currency_check CHECK (salary_currency ~ '^[A-Z]{3}$'),
    CONSTRAINT jobs_salary_amounts_check CHECK (
        salary_min >= 0 AND salary_max >= 0 AND salary_min <= salary_max
        AND salary_annual_low <= salary_annual_high
    ),
    -- A salary is all there (currency, period, a bound, the derived figures) or not at all.
    CONSTRAINT jobs_salary_complete_check CHECK (
        (salary_currency IS NULL AND salary_period IS NULL AND salary_estimated IS NULL
         AND salary_min IS NULL AND salary_max IS NULL
         AND salary_annual_low IS NULL AND salary_annual_high IS NULL)
        OR
        (salary_currency IS NOT NULL AND salary_period IS NOT NULL AND salary_estimated IS NOT NULL
         AND (salary_min IS NOT NULL OR salary_max IS NOT NULL)
         AND salary_annual_low IS NOT NULL AND salary_annual_high IS NOT NULL)
    ),
    CONSTRAINT jobs_seen_check CHECK (first_seen <= last_seen)
);

-- Full-text search.
CREATE INDEX jobs_search_idx ON jobs USING gin (search);

-- The date order (newest first; undated jobs count as posted at the epoch) and the salary order.
-- Queries repeat these expressions verbatim so the planner can walk the index for a page.
CREATE INDEX jobs_date_order_idx ON jobs (
    (coalesce(posted_at, '1970-01-01 00:00:00+00'::timestamptz)) DESC, first_seen DESC, id DESC
);
CREATE INDEX jobs_salary_order_idx ON jobs (
    salary_annual_high DESC NULLS LAST,
    (coalesce(posted_at, '1970-01-01 00:00:00+00'::timestamptz)) DESC, first_seen DESC, id DESC
);

-- Filters.
CREATE INDEX jobs_country_code_idx ON jobs (country_code);
CREATE INDEX jobs_remote_idx ON jobs (remote);
CREATE INDEX jobs_employment_type_idx ON jobs (employment_type);
CREATE INDEX jobs_company_idx ON jobs (lower(company));
CREATE INDEX jobs_category_idx ON jobs (lower(category));
CREATE INDEX jobs_posted_at_idx ON jobs (posted_at);
CREATE INDEX jobs_salary_high_idx ON jobs (salary_currency, salary_annual_high);
CREATE INDEX jobs_salary_low_idx ON jobs (salary_currency, salary_annual_low);
-- Case-insensitive substring search on places (ILIKE) needs trigrams, not a B-tree.
CREATE INDEX jobs_city_trgm_idx ON jobs USING gin (city gin_trgm_ops);
CREATE INDEX jobs_region_trgm_idx ON jobs USING gin (region gin_trgm_ops);
CREATE INDEX jobs_location_display_trgm_idx ON jobs USING gin (location_display gin_trgm_ops);

-- Every (source, source id) a job was seen at, in the order it was seen (position 0 first).
-- The primary key makes a source reference belong to one job only.
CREATE TABLE job_sources (
    source    text    NOT NULL,
    source_id text    NOT NULL,
    job_id    uuid    NOT NULL,
    url       text,
    position  integer NOT NULL,
    CONSTRAINT job_sources_pkey PRIMARY KEY (source, source_id),
    CONSTRAINT job_sources_job_fkey FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE,
    CONSTRAINT job_sources_position_key UNIQUE (job_id, position),
    CONSTRAINT job_sources_position_check CHECK (position >= 0)
);
