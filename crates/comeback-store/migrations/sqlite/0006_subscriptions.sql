-- Comeback store, schema version 6 (SQLite): contractual data.
--
-- `subscriptions`: one row per subscription or contract, the rows `comeback cohorts` reads
-- from a file (customer, start, end, MRR) plus the business's subscription id, currency
-- and an optional plan. Days are local calendar days, days since 1970-01-01
-- (comeback_core::Day): the start is included, the end (cancellation) excluded, NULL while
-- the subscription runs. MRR is BIGINT millionths of the currency unit per month
-- (comeback_core::Amount), ≥ 0. Re-sending a subscription id updates the row (a
-- cancellation sets its end); its customer cannot change.
--
-- `loyalty_enrolments`: the day a customer joined the loyalty programme (a local day as
-- above), so that members can be matched to non-members on their behaviour before it.
--
-- The PostgreSQL twin is ../postgres/0006_subscriptions.sql.

CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    start_day   BIGINT NOT NULL,
    end_day     BIGINT CHECK (end_day IS NULL OR end_day > start_day),
    mrr_micros  BIGINT NOT NULL CHECK (mrr_micros >= 0),
    currency    TEXT NOT NULL,
    plan        TEXT
);

CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

CREATE TABLE loyalty_enrolments (
    customer_id INTEGER PRIMARY KEY NOT NULL REFERENCES customers (id),
    enrolled_on BIGINT NOT NULL
);
