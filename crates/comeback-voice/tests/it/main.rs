//! Integration tests of comeback-voice.

mod predict;
