//! The one rule of *Close Stale Findings* (docs/spec.md §12), `S1 close_stale`, as a pure function
//! shared by preflight (which only reports) and execution (which writes the result).
//!
//! A finding is **stale** when its status is open or legacy (`new`, `triaged`, `in_progress`,
//! `reopened`, `acknowledged`), its severity is one of the run's `severities`, and
//! `coalesce(last_seen_at, first_seen_at, created_at) < last_seen_before`. S1 closes it:
//! `status := closed`, `closed_reason := stale`, `closed_at := planned_at`. Nothing else is
//! written. The rule never reads the clock (`planned_at` is the run's), so preflight, every
//! tenant and every retry agree; and a closed finding is not stale, so a second run changes
//! nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Statuses S1 may close.
pub const CLOSABLE: [&str; 5] = ["new", "triaged", "in_progress", "reopened", "acknowledged"];
/// `closed_reason` S1 writes.
pub const REASON: &str = "stale";

/// The columns of a finding S1 reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Primary key.
    pub id: i64,
    /// Owning tenant.
    pub tenant_id: i64,
    /// `low` | `medium` | `high` | `critical`.
    pub severity: String,
    /// Status.
    pub status: String,
    /// First observed.
    pub first_seen_at: Option<DateTime<Utc>>,
    /// Last observed.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Row creation.
    pub created_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was closed.
    pub closed_reason: Option<String>,
}

/// The run's parameters as the rule reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria {
    /// Findings last seen before this instant are stale.
    pub last_seen_before: DateTime<Utc>,
    /// Severities in scope (a non-empty subset of the four).
    pub severities: Vec<String>,
}

/// Whether S1 applies to `finding`.
pub fn is_stale(finding: &Finding, criteria: &Criteria) -> bool {
    let seen = finding
        .last_seen_at
        .or(finding.first_seen_at)
        .unwrap_or(finding.created_at);
    CLOSABLE.contains(&finding.status.as_str())
        && criteria.severities.contains(&finding.severity)
        && seen < criteria.last_seen_before
}

/// S1: the finding after the rule, or `None` when the rule leaves it unchanged.
pub fn close_stale(
    finding: &Finding,
    criteria: &Criteria,
    planned_at: DateTime<Utc>,
) -> Option<Finding> {
    if !is_stale(finding, criteria) {
        return None;
    }
    Some(Finding {
        status: "closed".into(),
        closed_reason: Some(REASON.into()),
        closed_at: Some(planned_at),
        ..finding.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0)
            .single()
            .expect("time")
    }

    fn finding(status: &str, severity: &str, last: Option<u32>, first: Option<u32>) -> Finding {
        Finding {
            id: 1,
            tenant_id: 7,
            severity: severity.into(),
            status: status.into(),
            first_seen_at: first.map(at),
            last_seen_at: last.map(at),
            created_at: at(1),
            closed_at: None,
            closed_reason: None,
        }
    }

    fn criteria(before: u32, severities: &[&str]) -> Criteria {
        Criteria {
            last_seen_before: at(before),
            severities: severities.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn stale_open_findings_of_the_chosen_severities_are_closed_at_the_planned_instant() {
        let all = ["low", "medium", "high", "critical"];
        let f = finding("triaged", "high", Some(5), Some(2));
        let after = close_stale(&f, &criteria(10, &all), at(20)).expect("closed");
        assert_eq!(after.status, "closed");
        assert_eq!(after.closed_reason.as_deref(), Some("stale"));
        assert_eq!(after.closed_at, Some(at(20)));
        assert_eq!(
            Finding {
                status: f.status.clone(),
                closed_reason: None,
                closed_at: None,
                ..after
            },
            f,
            "no other column is written"
        );
        // Severity not chosen, seen too recently (exactly at the cutoff is not before it),
        // already terminal, or an unknown status: untouched.
        assert!(close_stale(&f, &criteria(10, &["low"]), at(20)).is_none());
        assert!(close_stale(&f, &criteria(5, &all), at(20)).is_none());
        for status in ["resolved", "closed", "risk_accepted", "mystery"] {
            assert!(
                close_stale(
                    &finding(status, "high", Some(1), None),
                    &criteria(10, &all),
                    at(20)
                )
                .is_none()
            );
        }
        // acknowledged (legacy) counts as open.
        assert!(
            close_stale(
                &finding("acknowledged", "low", Some(1), None),
                &criteria(10, &all),
                at(20)
            )
            .is_some()
        );
    }

    #[test]
    fn last_seen_falls_back_to_first_seen_then_created() {
        let all = ["low", "medium", "high", "critical"];
        // No last_seen: first_seen (day 9) decides.
        assert!(
            close_stale(
                &finding("new", "low", None, Some(9)),
                &criteria(10, &all),
                at(20)
            )
            .is_some()
        );
        assert!(
            close_stale(
                &finding("new", "low", None, Some(11)),
                &criteria(10, &all),
                at(20)
            )
            .is_none()
        );
        // Neither: created_at (day 1).
        assert!(
            close_stale(
                &finding("new", "low", None, None),
                &criteria(2, &all),
                at(20)
            )
            .is_some()
        );
        // last_seen wins over an older first_seen.
        assert!(
            close_stale(
                &finding("new", "low", Some(12), Some(1)),
                &criteria(10, &all),
                at(20)
            )
            .is_none()
        );
    }

    fn any_finding() -> impl Strategy<Value = Finding> {
        (
            prop::sample::select(vec![
                "new",
                "triaged",
                "in_progress",
                "reopened",
                "acknowledged",
                "resolved",
                "closed",
                "risk_accepted",
                "other",
            ]),
            prop::sample::select(vec!["low", "medium", "high", "critical", "bogus"]),
            prop::option::of(1u32..28),
            prop::option::of(1u32..28),
            prop::option::of(1u32..28),
        )
            .prop_map(|(status, severity, last, first, closed)| Finding {
                closed_at: closed.map(at),
                closed_reason: closed.map(|_| "earlier".into()),
                ..finding(status, severity, last, first)
            })
    }

    proptest! {
        #[test]
        fn the_rule_is_idempotent_and_writes_only_its_three_columns(
            f in any_finding(),
            before in 1u32..28,
            severities in prop::sample::subsequence(vec!["low", "medium", "high", "critical"], 1..=4),
            planned in 1u32..28,
        ) {
            let c = criteria(before, &severities);
            if let Some(after) = close_stale(&f, &c, at(planned)) {
                prop_assert!(close_stale(&after, &c, at(planned)).is_none(), "second pass changes nothing");
                prop_assert_eq!(&after.status, "closed");
                prop_assert_eq!(after.closed_at, Some(at(planned)));
                let unchanged = Finding { status: f.status.clone(), closed_at: f.closed_at, closed_reason: f.closed_reason.clone(), ..after };
                prop_assert_eq!(unchanged, f);
            } else {
                prop_assert!(!is_stale(&f, &c));
            }
        }
    }
}
