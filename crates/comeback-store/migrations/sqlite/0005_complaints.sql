-- Complaints (issue 9), schema version 5 (SQLite; the PostgreSQL twin is
-- ../postgres/0005_complaints.sql). The ISO 10002 §7 record and its recovery history.
-- Every reference to a customer, location, employee or user is an internal id, so that
-- erasing a customer (which nulls the customer's personal fields) keeps the history intact.
-- `status` and `owner_user_id` of `complaints` are the state after the last event, written
-- in the same database transaction as the event; the events themselves are append-only:
-- triggers refuse UPDATE and DELETE.

CREATE TABLE complaints (
    id                 INTEGER PRIMARY KEY,
    reference          TEXT NOT NULL UNIQUE,
    received_at        BIGINT NOT NULL,
    channel            TEXT NOT NULL,
    customer_id        INTEGER NOT NULL REFERENCES customers (id),
    location_id        INTEGER REFERENCES locations (id),
    employee_id        INTEGER REFERENCES employees (id),
    product            TEXT,
    description        TEXT NOT NULL,
    category           TEXT NOT NULL,
    severity           TEXT NOT NULL,
    remedy_requested   TEXT,
    owner_user_id      INTEGER REFERENCES users (id),
    first_response_due BIGINT,
    resolution_due     BIGINT,
    status             TEXT NOT NULL,
    created_by_user_id INTEGER REFERENCES users (id)
);

CREATE INDEX complaints_customer ON complaints (customer_id);
CREATE INDEX complaints_resolution_due ON complaints (resolution_due);

CREATE TABLE complaint_events (
    id            INTEGER PRIMARY KEY,
    complaint_id  INTEGER NOT NULL REFERENCES complaints (id),
    seq           BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    actor_kind    TEXT NOT NULL CHECK (actor_kind IN ('staff', 'customer', 'system')),
    actor_user_id INTEGER REFERENCES users (id),
    action        TEXT NOT NULL,
    payload       TEXT NOT NULL,
    from_status   TEXT NOT NULL,
    to_status     TEXT NOT NULL,
    UNIQUE (complaint_id, seq)
);

CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
BEGIN
    SELECT RAISE(ABORT, 'complaint_events is append-only');
END;

CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
BEGIN
    SELECT RAISE(ABORT, 'complaint_events is append-only');
END;
