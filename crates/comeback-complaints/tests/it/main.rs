//! Integration tests of comeback-complaints.

mod file;
mod measures;
mod recovery;
mod sla;
