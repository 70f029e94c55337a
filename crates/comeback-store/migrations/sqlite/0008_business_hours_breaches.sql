-- Complaint responsiveness (issue 9), schema version 8 (SQLite; the PostgreSQL twin is
-- ../postgres/0008_business_hours_breaches.sql).
-- `location_calendars`: the opening hours of a location in comeback_complaints::sla's
-- syntax (`Mon-Fri 09:00-17:00; Sat 10:00-14:00`, overnight shifts such as `22:00-06:00`
-- belonging to the day they open) and its holidays (local dates, `YYYY-MM-DD` separated by
-- commas); the time zone is the location's own (`locations.time_zone`). A location without
-- a row runs a 24/7 clock.
-- `complaint_breaches`: one row per complaint and deadline found passed, written before
-- the `complaint.breached` webhook fires, so that each breach fires once.

CREATE TABLE location_calendars (
    location_id INTEGER PRIMARY KEY REFERENCES locations (id),
    hours       TEXT NOT NULL,
    holidays    TEXT NOT NULL DEFAULT ''
);

CREATE TABLE complaint_breaches (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    kind         TEXT NOT NULL CHECK (kind IN ('first_response', 'resolution')),
    due          BIGINT NOT NULL,
    detected_at  BIGINT NOT NULL,
    UNIQUE (complaint_id, kind)
);
