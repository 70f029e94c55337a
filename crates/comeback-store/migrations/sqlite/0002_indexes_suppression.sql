-- Comeback store, schema version 2 (SQLite): the indexes the summary and the customer
-- history read through, the erasure suppression list, and an append-only audit log.
-- The PostgreSQL twin is ../postgres/0002_indexes_suppression.sql.

CREATE INDEX transactions_customer_day ON transactions (customer_id, local_day);
CREATE INDEX transactions_location_day ON transactions (location_id, local_day);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX sessions_user ON sessions (user_id);

-- Salted SHA-256 (hex) of the external id of every erased customer; ingest refuses them.
CREATE TABLE erasure_suppression (
    external_id_hash TEXT PRIMARY KEY NOT NULL,
    erased_at        BIGINT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
