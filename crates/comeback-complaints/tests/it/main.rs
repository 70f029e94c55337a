//! Integration tests of comeback-complaints.

mod sla;
