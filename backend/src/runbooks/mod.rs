//! Runbooks: the `Runbook` trait, the registry, and one module per runbook.

pub mod findings_lifecycle;
