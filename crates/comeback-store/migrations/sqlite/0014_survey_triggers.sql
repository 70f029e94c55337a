-- Survey triggers and custom survey texts (issue 8), schema version 14 (SQLite; the
-- PostgreSQL twin is ../postgres/0014_survey_triggers.sql). Times are BIGINT microseconds
-- since 1970-01-01T00:00:00Z (UTC); customers are internal ids, so erasure keeps the rows.

-- Per-database settings of the three automatic triggers: on or off, the survey (by name:
-- its active version is sent), the share of purchases sampled (basis points, 10000 = all),
-- the delay before the invitation, and how old a purchase may be to count.
CREATE TABLE survey_triggers (
    trigger      TEXT PRIMARY KEY CHECK (trigger IN ('purchase', 'at_risk', 'lost')),
    enabled      BOOLEAN NOT NULL,
    survey_name  TEXT,
    sample_bp    BIGINT NOT NULL CHECK (sample_bp BETWEEN 0 AND 10000),
    delay_hours  BIGINT NOT NULL CHECK (delay_hours BETWEEN 0 AND 2160),
    max_age_days BIGINT NOT NULL CHECK (max_age_days BETWEEN 1 AND 365),
    updated_at   BIGINT NOT NULL
);

-- The customers the latest refit put in the at-risk or lost stage, as the triggers saw
-- them: a customer whose stage here differs from the refit's has entered that stage (a
-- new episode). Kept across restarts, so each episode is seen once.
CREATE TABLE survey_trigger_stages (
    customer_id INTEGER PRIMARY KEY REFERENCES customers (id),
    stage       TEXT NOT NULL CHECK (stage IN ('at_risk', 'lost')),
    since       BIGINT NOT NULL
);

-- One row per triggered occasion (a sampled purchase day, an episode's start): pending
-- until its delay has passed, then invited (with the invitation) or skipped (with the
-- reason). The unique key makes every occasion count once.
CREATE TABLE survey_trigger_queue (
    id            INTEGER PRIMARY KEY,
    trigger       TEXT NOT NULL CHECK (trigger IN ('purchase', 'at_risk', 'lost')),
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    occasion      BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'invited', 'skipped')),
    reason        TEXT,
    survey_id     INTEGER REFERENCES surveys (id),
    invitation_id INTEGER REFERENCES survey_invitations (id),
    created_at    BIGINT NOT NULL,
    processed_at  BIGINT,
    UNIQUE (trigger, customer_id, occasion)
);

CREATE INDEX survey_trigger_queue_due ON survey_trigger_queue (state, due_at);

-- The after-purchase trigger reads the purchases of the last days.
CREATE INDEX transactions_day ON transactions (local_day);

-- A survey version's custom questions (JSON; NULL: the kind's built-in questions and
-- texts).
ALTER TABLE surveys ADD COLUMN definition TEXT;
