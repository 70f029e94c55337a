-- Comeback store, schema version 1 (SQLite). Times are BIGINT microseconds since
-- 1970-01-01T00:00:00Z (UTC), NULL for a transaction known by its day only; local days are
-- days since 1970-01-01 in the business time zone (comeback_core::Day); money is BIGINT
-- millionths of the currency unit (comeback_core::Amount), never a binary float. The
-- PostgreSQL twin is ../postgres/0001_schema.sql.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE locations (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name      TEXT,
    time_zone TEXT NOT NULL
);

CREATE TABLE employees (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT,
    location_id INTEGER REFERENCES locations (id)
);

CREATE TABLE customers (
    id             INTEGER PRIMARY KEY,
    external_id    TEXT UNIQUE,
    name           TEXT,
    email          TEXT,
    language       TEXT,
    first_seen     BIGINT,
    loyalty_member BOOLEAN NOT NULL DEFAULT 0,
    attributes     TEXT NOT NULL DEFAULT '{}',
    erased_at      BIGINT
);

CREATE TABLE transactions (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT NOT NULL UNIQUE,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    occurred_at   BIGINT,
    local_day     BIGINT NOT NULL,
    amount_micros BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    location_id   INTEGER REFERENCES locations (id),
    employee_id   INTEGER REFERENCES employees (id),
    channel       TEXT
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'staff')),
    password_hash TEXT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE user_locations (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, location_id)
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    token_hash   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_user_id INTEGER,
    action        TEXT NOT NULL,
    subject_kind  TEXT,
    subject_id    BIGINT
);
