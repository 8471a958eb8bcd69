//! Runbook v1: Rebuild Findings Lifecycle (`findings.lifecycle.rebuild`, SPEC §2).

pub mod rules;
