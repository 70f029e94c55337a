//! Integration tests of comeback-voice.
