-- Surveys (issue 8), schema version 7 (SQLite; the PostgreSQL twin is
-- ../postgres/0007_surveys.sql). Definitions are versioned: a new version of a survey is a
-- new row with the same name, and every invitation and response keeps the id of the
-- version it was made for. Customers, locations and employees are internal ids, so
-- erasing a customer (which nulls personal fields) keeps the counts. Times are BIGINT
-- microseconds since 1970-01-01T00:00:00Z (UTC).

CREATE TABLE surveys (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('nps', 'csat', 'ces', 'dimensions',
                                             'report_card', 'questionnaire', 'exit')),
    anonymous  BOOLEAN NOT NULL DEFAULT 0,
    active     BOOLEAN NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (name, version)
);

-- One row per invitation. `nonce` is the random public part of the signed link; the
-- signature (HMAC, by the server) covers nonce, customer and expiry.
CREATE TABLE survey_invitations (
    id          INTEGER PRIMARY KEY,
    survey_id   INTEGER NOT NULL REFERENCES surveys (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    nonce       TEXT NOT NULL UNIQUE,
    trigger     TEXT NOT NULL CHECK (trigger IN ('manual', 'purchase', 'at_risk', 'lost')),
    location_id INTEGER REFERENCES locations (id),
    employee_id INTEGER REFERENCES employees (id),
    state       TEXT NOT NULL CHECK (state IN ('sent', 'answered', 'declined', 'ignored')),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    opened_at   BIGINT,
    closed_at   BIGINT
);

CREATE INDEX survey_invitations_customer ON survey_invitations (customer_id, created_at);

-- Responses: from a link (at most one per invitation; a draft until `submitted_at`) or
-- imported. An anonymous response keeps neither invitation nor customer.
CREATE TABLE survey_responses (
    id            INTEGER PRIMARY KEY,
    survey_id     INTEGER NOT NULL REFERENCES surveys (id),
    invitation_id INTEGER UNIQUE REFERENCES survey_invitations (id),
    customer_id   INTEGER REFERENCES customers (id),
    location_id   INTEGER REFERENCES locations (id),
    employee_id   INTEGER REFERENCES employees (id),
    score         BIGINT,
    answers       TEXT NOT NULL,
    comment       TEXT,
    language      TEXT,
    anonymous     BOOLEAN NOT NULL DEFAULT 0,
    source        TEXT NOT NULL CHECK (source IN ('link', 'import', 'api')),
    updated_at    BIGINT NOT NULL,
    submitted_at  BIGINT
);

CREATE INDEX survey_responses_survey ON survey_responses (survey_id, submitted_at);

-- Consent: the latest opt-out or opt-in of a customer, with its time.
CREATE TABLE survey_consent (
    customer_id INTEGER PRIMARY KEY REFERENCES customers (id),
    opted_out   BOOLEAN NOT NULL,
    changed_at  BIGINT NOT NULL,
    source      TEXT NOT NULL
);

-- Follow-ups: a detractor answer or a low report-card score, for the managers of the
-- response's location (all managers when it has none).
CREATE TABLE survey_followups (
    id          INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL UNIQUE REFERENCES survey_responses (id),
    location_id INTEGER REFERENCES locations (id),
    reason      TEXT NOT NULL CHECK (reason IN ('detractor', 'low_report_card')),
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    created_at  BIGINT NOT NULL,
    closed_at   BIGINT
);
