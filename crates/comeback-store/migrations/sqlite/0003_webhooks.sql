-- Comeback store, schema version 3 (SQLite): webhook endpoints and the log of every
-- delivery attempt (PRODUCT R11). Times are BIGINT microseconds since 1970-01-01T00:00:00Z
-- (UTC). The signing secret is kept as given (it is needed to sign, so it cannot be
-- hashed). A delivery row keeps the endpoint URL, so the log outlives a deleted endpoint.
-- The PostgreSQL twin is ../postgres/0003_webhooks.sql.

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    -- Subscribed event kinds, space-separated (`customer.at_risk complaint.breached`).
    events      TEXT NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER REFERENCES webhooks (id) ON DELETE SET NULL,
    url             TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event           TEXT NOT NULL,
    attempt         BIGINT NOT NULL,
    attempted_at    BIGINT NOT NULL,
    duration_micros BIGINT NOT NULL,
    -- HTTP status of the answer; NULL when none came (connection error, timeout).
    status_code     BIGINT,
    error           TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    next_attempt_at BIGINT
);

CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
