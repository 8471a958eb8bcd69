//! The capability registry (docs/spec.md §3). The strings are stable: tokens, the database and the SPA
//! store them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A permission an operator (or an API token) can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Capability {
    /// See the runbook catalogue, the targetable tenants, and preflight.
    RunbooksView,
    /// Start a single-tenant run (and retry failed tenants).
    RunbooksRun,
    /// Additionally start an all-tenants run.
    RunbooksRunAllTenants,
    /// See runs and their items.
    RunsView,
    /// Cancel a run.
    RunsCancel,
    /// Pause and resume a run, and change its concurrency cap.
    RunsControl,
    /// Read the audit log.
    AuditView,
    /// Manage operators.
    OperatorsManage,
}

impl Capability {
    /// Every capability, in registry order.
    pub const ALL: [Capability; 8] = [
        Capability::RunbooksView,
        Capability::RunbooksRun,
        Capability::RunbooksRunAllTenants,
        Capability::RunsView,
        Capability::RunsCancel,
        Capability::RunsControl,
        Capability::AuditView,
        Capability::OperatorsManage,
    ];

    /// The stable wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Capability::RunbooksView => "ops.runbooks.view",
            Capability::RunbooksRun => "ops.runbooks.run",
            Capability::RunbooksRunAllTenants => "ops.runbooks.run_all_tenants",
            Capability::RunsView => "ops.runs.view",
            Capability::RunsCancel => "ops.runs.cancel",
            Capability::RunsControl => "ops.runs.control",
            Capability::AuditView => "audit.view",
            Capability::OperatorsManage => "operators.manage",
        }
    }

    /// Parses a comma-separated list, or `all`.
    pub fn parse_list(list: &str) -> Result<Vec<Capability>, UnknownCapability> {
        if list.trim() == "all" {
            return Ok(Self::ALL.to_vec());
        }
        let mut caps = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Capability::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        caps.sort();
        caps.dedup();
        Ok(caps)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability name that is not in the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability {0:?}")]
pub struct UnknownCapability(pub String);

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCapability(s.to_owned()))
    }
}

impl TryFrom<String> for Capability {
    type Error = UnknownCapability;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Capability> for String {
    fn from(c: Capability) -> Self {
        c.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for cap in Capability::ALL {
            assert_eq!(cap.as_str().parse::<Capability>(), Ok(cap));
        }
    }

    #[test]
    fn lists_parse_all_and_subsets() {
        assert_eq!(Capability::parse_list("all").map(|v| v.len()), Ok(8));
        assert_eq!(
            Capability::parse_list("ops.runs.view, ops.runbooks.view,ops.runs.view"),
            Ok(vec![Capability::RunbooksView, Capability::RunsView])
        );
        assert_eq!(
            Capability::parse_list("ops.runs.view,root"),
            Err(UnknownCapability("root".into()))
        );
    }

    proptest::proptest! {
        #[test]
        fn any_capability_list_parses_or_names_the_unknown_one(list in "[a-z._, ]{0,60}|\\PC{0,40}") {
            if let Ok(caps) = Capability::parse_list(&list) {
                let again = caps.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",");
                proptest::prop_assert_eq!(Capability::parse_list(&again).ok(), Some(caps));
            }
        }
    }
}
