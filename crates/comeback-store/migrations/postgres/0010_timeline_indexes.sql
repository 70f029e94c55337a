-- Comeback store, schema version 10: a customer's survey answers are read by customer for
-- their timeline (the customer page); complaints already have complaints_customer.
CREATE INDEX survey_responses_customer ON survey_responses (customer_id, submitted_at);
