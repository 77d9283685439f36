//! Secrets that never print: [`Secret`] for bearer tokens and client
//! secrets (its value is exposed in exactly one place, the `Authorization`
//! header), [`redact_url`] and [`redact_text`] for what the server sends
//! back. All three live in `nwcap-secret`, the one owner of redaction.

pub use nwcap_secret::{Secret, redact_text, redact_url};
