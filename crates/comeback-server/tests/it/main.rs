//! Integration tests of the Comeback server: the real application on port 0 over a fresh
//! SQLite file and (with `COMEBACK_TEST_POSTGRES_URL`) a fresh PostgreSQL schema per test.

mod api;
mod auth;
mod authz;
mod complaint_mail;
mod complaints;
mod complaints_dashboard;
mod complaints_followups;
mod complaints_import;
mod complaints_pause;
mod complaints_public;
mod complaints_roles;
mod complaints_sla;
mod currency;
// Helpers for the dashboard pages land before the pages do.
#[allow(dead_code)]
mod browser;
mod cohorts;
mod dashboard;
mod demo;
mod freshness;
mod helpers;
mod objectives;
mod openapi;
mod people;
mod retention;
mod smtp_sink;
mod survey_triggers;
mod surveys;
mod voice_dashboard;
mod webhooks;
