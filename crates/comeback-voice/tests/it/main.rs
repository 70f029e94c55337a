//! Integration tests of comeback-voice.

mod classify;
mod nps;
mod predict;
mod report_card;
mod scales;
mod stats;
