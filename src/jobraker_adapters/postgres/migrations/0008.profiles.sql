-- Profiles: one per user, with contact details and the job preferences that drive matching.
-- Deleting a user deletes its profile.
-- depends: 0005.users

CREATE TABLE profiles (
    user_id     uuid        NOT NULL,
    name        text,
    headline    text,
    -- Contact details (personal data: exported with the account and erased with it).
    email       text,
    phone       text,
    -- [{"url", "label"}], written by jobraker_adapters.postgres.profiles.
    links       jsonb       NOT NULL DEFAULT '[]',
    -- [{"city", "region", "country_code"}]: where the person lives or can work from.
    locations   jsonb       NOT NULL DEFAULT '[]',
    -- {"titles", "locations", "remote_modes", "salary_floor", "employment_types", "industries",
    --  "excluded_companies", "willing_to_relocate", "work_authorization", "needs_sponsorship",
    --  "notice_period_days"}; a missing key means "not given".
    preferences jsonb       NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL,
    CONSTRAINT profiles_pkey PRIMARY KEY (user_id),
    CONSTRAINT profiles_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT profiles_name_length_check CHECK (char_length(name) <= 200),
    CONSTRAINT profiles_headline_length_check CHECK (char_length(headline) <= 300),
    CONSTRAINT profiles_email_length_check CHECK (char_length(email) <= 254),
    CONSTRAINT profiles_phone_check CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    CONSTRAINT profiles_links_check CHECK (jsonb_typeof(links) = 'array'),
    CONSTRAINT profiles_locations_check CHECK (jsonb_typeof(locations) = 'array'),
    CONSTRAINT profiles_preferences_check CHECK (jsonb_typeof(preferences) = 'object')
);
