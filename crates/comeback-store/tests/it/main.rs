//! Integration tests of comeback-store: every test runs against SQLite (a temporary file)
//! and against PostgreSQL when `COMEBACK_TEST_POSTGRES_URL` is set (a fresh schema per
//! test, so tests run in parallel).

mod accounts;
mod common;
mod complaints;
mod crash;
mod customers;
mod ingest;
mod migrations;
mod objectives;
mod plans;
mod search;
mod subscriptions;
mod summary;
mod webhooks;
