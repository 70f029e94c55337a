//! Integration tests of the Comeback server: the real application on port 0 over a fresh
//! SQLite file and (with `COMEBACK_TEST_POSTGRES_URL`) a fresh PostgreSQL schema per test.

mod api;
mod auth;
mod authz;
mod helpers;
mod openapi;
