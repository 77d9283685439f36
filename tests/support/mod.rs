//! Test support shared by the CLI integration tests.

pub mod azurite;
