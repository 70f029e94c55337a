-- Comeback store, schema version 4 (SQLite): written retention objectives (PRODUCT R10),
-- e.g. "defection ≤ 15 %/year, owner Ana, 2026". Rates are percent per year, NPS in
-- points (−100 to 100); the period is a calendar label (`2026`, `2026-H1`, `2026-Q3`,
-- `2026-07`). Times are BIGINT microseconds since 1970-01-01T00:00:00Z (UTC).
-- The PostgreSQL twin is ../postgres/0004_objectives.sql.

CREATE TABLE objectives (
    id         INTEGER PRIMARY KEY,
    metric     TEXT NOT NULL CHECK (metric IN ('defection_rate', 'retention_rate', 'nps')),
    comparator TEXT NOT NULL CHECK (comparator IN ('at_most', 'at_least')),
    target     REAL NOT NULL,
    owner      TEXT NOT NULL,
    period     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
