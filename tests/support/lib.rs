//! Helpers for the end-to-end tests in `tests/`, which run the real binaries.
