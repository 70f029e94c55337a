-- Comeback store, schema version 11 (PostgreSQL; the SQLite twin is
-- ../sqlite/0011_staff_flags.sql): user accounts linked to employees, and staff flags.
--
-- users.employee_id: the employee an account belongs to (at most one account per
-- employee), so that a staff member sees their own report card and their flags are
-- credited to them (PRODUCT R5, R6).
--
-- staff_flags: "this customer is unhappy", raised by an employee (issue 9 item 3). A flag
-- is a complaint of channel `staff_flag` (the row of `complaints` holds customer,
-- location, category and the note as description); this table credits it to the employee
-- and names the account that recorded it. Internal ids only, so erasing the customer
-- keeps the flag and its credit.

ALTER TABLE users ADD COLUMN employee_id BIGINT REFERENCES employees (id);

CREATE UNIQUE INDEX users_employee ON users (employee_id);

CREATE TABLE staff_flags (
    complaint_id        BIGINT PRIMARY KEY REFERENCES complaints (id),
    employee_id         BIGINT NOT NULL REFERENCES employees (id),
    recorded_by_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    flagged_at          BIGINT NOT NULL
);

CREATE INDEX staff_flags_employee ON staff_flags (employee_id, flagged_at);
CREATE INDEX staff_flags_flagged_at ON staff_flags (flagged_at);
