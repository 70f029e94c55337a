//! Integration tests of comeback-voice.

mod classify;
mod predict;
