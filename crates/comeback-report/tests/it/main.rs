//! Integration tests of the report: the rendered page in a real headless Chromium.

mod browser;
