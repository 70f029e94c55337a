-- Comeback store, schema version 9 (SQLite): the webhook outbox. One row per event and
-- endpoint whose delivery is not finished yet (first attempt not made, or waiting for a
-- retry), with the body as first sent, so pending deliveries survive a restart. A row is
-- deleted once the delivery succeeds or its last attempt fails (the log keeps every
-- attempt in webhook_deliveries); deleting the endpoint deletes its rows. Times are
-- BIGINT microseconds since 1970-01-01T00:00:00Z (UTC).
-- The PostgreSQL twin is ../postgres/0009_webhook_outbox.sql.

CREATE TABLE webhook_outbox (
    id         INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id   TEXT NOT NULL,
    event      TEXT NOT NULL,
    body       TEXT NOT NULL,
    -- The number of the next attempt (1 for the first).
    attempt    BIGINT NOT NULL,
    -- When the next attempt is due.
    due_at     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (event_id, webhook_id)
);

CREATE INDEX webhook_outbox_due ON webhook_outbox (due_at);
