-- Complaints (issues 8 and 9), schema version 13 (PostgreSQL; the SQLite twin is
-- ../sqlite/0013_complaint_pauses_followups.sql).
-- `waiting_since`: when the complaint began waiting for the customer (the SLA clock is
-- stopped; NULL while it runs). Written in the same transaction as the
-- `wait_for_customer` / `resume` event of `complaint_events`, like `status`; the events
-- themselves are the audit trail of every pause.
-- `survey_followup_id`: the survey follow-up (a detractor, a low report-card score) the
-- complaint was opened from; unique, so a follow-up becomes at most one recovery case.
-- `created_by_user_id` is indexed for the staff role's view (complaints they recorded).

ALTER TABLE complaints ADD COLUMN waiting_since BIGINT;
ALTER TABLE complaints ADD COLUMN survey_followup_id BIGINT REFERENCES survey_followups (id);

CREATE UNIQUE INDEX complaints_survey_followup ON complaints (survey_followup_id);
CREATE INDEX complaints_owner ON complaints (owner_user_id);
CREATE INDEX complaints_created_by ON complaints (created_by_user_id);
