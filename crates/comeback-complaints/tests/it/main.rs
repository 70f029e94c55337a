//! Integration tests of comeback-complaints.

mod measures;
mod sla;
