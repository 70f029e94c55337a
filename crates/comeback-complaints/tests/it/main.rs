//! Integration tests of comeback-complaints.

mod measures;
mod recovery;
mod sla;
