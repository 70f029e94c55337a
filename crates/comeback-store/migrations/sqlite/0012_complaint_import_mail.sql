-- Comeback store, schema version 12 (SQLite; the PostgreSQL twin is
-- ../postgres/0012_complaint_import_mail.sql): complaints imported from a file, and the
-- e-mails the server sends (status e-mails to complainants, the daily digest to owners).
-- Times are BIGINT microseconds since 1970-01-01T00:00:00Z (UTC).

-- The imported file's complaint id: re-importing the file finds the same complaint.
ALTER TABLE complaints ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX complaints_external_id ON complaints (external_id);

-- Per complaint, what the complainant was last told: the history position (seq) of the
-- last status change an e-mail announced (0: the receipt) and when the last e-mail about
-- it was queued (the interval reminders count from there). No row: nothing announced yet.
CREATE TABLE complaint_mail (
    complaint_id   INTEGER PRIMARY KEY REFERENCES complaints (id),
    announced_seq  BIGINT NOT NULL,
    last_notice_at BIGINT NOT NULL
);

-- The e-mail outbox: every message queued, with its delivery state, so that queued mail
-- survives a restart and is sent once. `dedupe_key` names what the message is about
-- (`complaint:REF:status:SEQ`, `complaint:REF:reminder:AT`, `digest:DATE:USER`); queueing
-- the same key again does nothing. `customer_id` is set for mail to a customer: erasing
-- the customer deletes their rows (the address is personal data), and nothing is sent to
-- an erased customer.
CREATE TABLE email_outbox (
    id          INTEGER PRIMARY KEY,
    dedupe_key  TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers (id),
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    -- The number of the next attempt (1 for the first).
    attempt     BIGINT NOT NULL,
    -- When the next attempt is due (while neither sent nor given up).
    due_at      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT,
    failed_at   BIGINT,
    last_error  TEXT
);

CREATE INDEX email_outbox_due ON email_outbox (due_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX email_outbox_customer ON email_outbox (customer_id);
