//! Run control's options (docs/spec.md §13): how many items of a run may run at once, how
//! many may fail before it pauses itself, and the waves and canary tenants it runs in. Parsed
//! and checked at the edge; the service stores them on the run and echoes them in its view.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest `max_concurrency`.
pub const MAX_CONCURRENCY: i64 = 256;

/// The options of a start (each optional; the default keeps a run unrestricted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    /// At most this many of the run's items run at once, across every worker (1–256).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 256)]
    pub max_concurrency: Option<i64>,
    /// Pause the run when more items fail than this budget allows.
    #[serde(default)]
    pub failure_budget: Option<FailureBudget>,
    /// Cumulative tenant counts, strictly increasing and each below the tenants in scope: wave
    /// 1 is the first n1 tenants, wave 2 up to n2, the last wave the rest. The run pauses
    /// (`wave_gate`) when every item of a wave has finished.
    #[serde(default)]
    pub waves: Option<Vec<i64>>,
    /// Tenants (ids, in scope) that come first, in this order; then ascending tenant id.
    #[serde(default)]
    pub canary_tenant_ids: Option<Vec<i64>>,
    /// `false` turns the drift guard off for this run (audited with the start): a tenant that
    /// would change far more rows than its preflight predicted is then written anyway
    /// (docs/spec.md §15). Default on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_guard: Option<bool>,
}

/// How many items may fail before the run pauses itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailureBudget {
    /// The run pauses once more than this many items have failed since it started or was last
    /// resumed (0 pauses it at the first failure).
    #[schema(minimum = 0)]
    pub max_failed: i64,
}

/// An option that does not fit the run: the field (`options.…`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The request field, e.g. `options.waves`.
    pub field: &'static str,
    /// What to change.
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> Result<(), OptionError> {
    Err(OptionError {
        field,
        message: message.into(),
    })
}

/// Checks a concurrency cap (also the body of `PATCH /ops/runs/{id}/options`).
pub fn check_max_concurrency(max: Option<i64>) -> Result<(), OptionError> {
    match max {
        Some(n) if !(1..=MAX_CONCURRENCY).contains(&n) => refuse(
            "options.max_concurrency",
            format!("must be 1 to {MAX_CONCURRENCY} (leave it out for no cap)"),
        ),
        _ => Ok(()),
    }
}

/// Whether a tenant predicted to change `predicted` rows drifted when it would change `found`:
/// more than `predicted + max(10, predicted / 5)` (docs/spec.md §15).
pub fn drifted(predicted: i64, found: u64) -> bool {
    found as i64 > predicted + (predicted / 5).max(10)
}

impl RunOptions {
    /// Whether the drift guard is on (it is unless turned off).
    pub fn drift_guard(&self) -> bool {
        self.drift_guard != Some(false)
    }

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Checks the options against a scope of `tenants` tenants (`single` for a one-tenant
    /// scope); whether each canary tenant is in scope is the caller's check (it needs the
    /// database).
    pub fn check(&self, tenants: u64, single: bool) -> Result<(), OptionError> {
        check_max_concurrency(self.max_concurrency)?;
        if let Some(budget) = self.failure_budget
            && budget.max_failed < 0
        {
            return refuse("options.failure_budget.max_failed", "must be 0 or more");
        }
        if let Some(waves) = &self.waves {
            if single {
                return refuse("options.waves", "waves need more than one tenant in scope");
            }
            if waves.is_empty() {
                return refuse(
                    "options.waves",
                    "give at least one wave boundary, or leave waves out",
                );
            }
            let mut before = 0;
            for &end in waves {
                if end <= before {
                    return refuse(
                        "options.waves",
                        "each boundary must be larger than the one before it (and above 0)",
                    );
                }
                if end as u64 >= tenants {
                    return refuse(
                        "options.waves",
                        format!(
                            "each boundary must be below the {tenants} tenants in scope (the last \
                             wave is the rest)"
                        ),
                    );
                }
                before = end;
            }
        }
        if let Some(canary) = &self.canary_tenant_ids {
            if single {
                return refuse(
                    "options.canary_tenant_ids",
                    "canary tenants need more than one tenant in scope",
                );
            }
            if canary.is_empty() {
                return refuse(
                    "options.canary_tenant_ids",
                    "name at least one tenant, or leave canary_tenant_ids out",
                );
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = canary.iter().find(|id| !seen.insert(**id)) {
                return refuse(
                    "options.canary_tenant_ids",
                    format!("tenant {dup} is named twice"),
                );
            }
            if canary.len() as u64 > tenants {
                return refuse(
                    "options.canary_tenant_ids",
                    format!("more canary tenants than the {tenants} tenants in scope"),
                );
            }
        }
        Ok(())
    }

    /// The number of waves (1 without waves).
    pub fn wave_count(&self) -> i64 {
        self.waves.as_ref().map_or(1, |w| w.len() as i64 + 1)
    }

    /// The last position released with wave `wave` (1-based): its boundary, or `None` for the
    /// last wave (everything).
    pub fn wave_end(&self, wave: i64) -> Option<i64> {
        let waves = self.waves.as_ref()?;
        usize::try_from(wave - 1)
            .ok()
            .and_then(|i| waves.get(i))
            .copied()
    }

    /// Positions of the canary tenants (1-based, in the given order).
    pub fn canary_position(&self, tenant_id: i64) -> Option<i64> {
        self.canary_tenant_ids
            .as_ref()?
            .iter()
            .position(|&id| id == tenant_id)
            .map(|i| i as i64 + 1)
    }

    /// How many canary tenants there are.
    pub fn canary_count(&self) -> i64 {
        self.canary_tenant_ids
            .as_ref()
            .map_or(0, |c| c.len() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_drifts_beyond_its_prediction_plus_a_fifth_and_at_least_ten() {
        assert!(!drifted(0, 10));
        assert!(drifted(0, 11));
        assert!(!drifted(40, 50));
        assert!(drifted(40, 51));
        assert!(!drifted(1_000, 1_200));
        assert!(drifted(1_000, 1_201));
        assert!(
            !drifted(1_000, 3),
            "fewer rows than predicted is never drift"
        );
        assert!(RunOptions::default().drift_guard());
        assert!(
            !RunOptions {
                drift_guard: Some(false),
                ..Default::default()
            }
            .drift_guard()
        );
    }

    fn options(json: serde_json::Value) -> RunOptions {
        serde_json::from_value(json).expect("options")
    }

    #[test]
    fn bad_options_name_their_field() {
        let field = |json, tenants, single| {
            options(json)
                .check(tenants, single)
                .map_err(|e| e.field)
                .err()
        };
        assert_eq!(
            field(serde_json::json!({"max_concurrency": 0}), 10, false),
            Some("options.max_concurrency")
        );
        assert_eq!(
            field(serde_json::json!({"max_concurrency": 257}), 10, false),
            Some("options.max_concurrency")
        );
        assert_eq!(
            field(serde_json::json!({"max_concurrency": 256}), 10, false),
            None
        );
        assert_eq!(
            field(
                serde_json::json!({"failure_budget": {"max_failed": -1}}),
                10,
                false
            ),
            Some("options.failure_budget.max_failed")
        );
        assert_eq!(
            field(
                serde_json::json!({"failure_budget": {"max_failed": 0}}),
                10,
                false
            ),
            None
        );
        for waves in [
            serde_json::json!([3, 3]),
            serde_json::json!([5, 2]),
            serde_json::json!([0]),
            serde_json::json!([10]),
            serde_json::json!([]),
        ] {
            assert_eq!(
                field(serde_json::json!({ "waves": waves }), 10, false),
                Some("options.waves")
            );
        }
        assert_eq!(field(serde_json::json!({"waves": [3, 9]}), 10, false), None);
        assert_eq!(
            field(serde_json::json!({"waves": [1]}), 2, true),
            Some("options.waves")
        );
        assert_eq!(
            field(serde_json::json!({"canary_tenant_ids": [4, 4]}), 10, false),
            Some("options.canary_tenant_ids")
        );
        assert_eq!(
            field(serde_json::json!({"canary_tenant_ids": [4]}), 1, true),
            Some("options.canary_tenant_ids")
        );
        assert_eq!(
            field(serde_json::json!({"canary_tenant_ids": [4, 5]}), 10, false),
            None
        );
        assert!(
            serde_json::from_value::<RunOptions>(serde_json::json!({"max_concurency": 2})).is_err()
        );
    }

    #[test]
    fn waves_release_up_to_their_boundary_and_the_last_releases_the_rest() {
        let o = options(serde_json::json!({"waves": [3, 50]}));
        assert_eq!(o.wave_count(), 3);
        assert_eq!(o.wave_end(1), Some(3));
        assert_eq!(o.wave_end(2), Some(50));
        assert_eq!(o.wave_end(3), None);
        assert_eq!(RunOptions::default().wave_count(), 1);
        let c = options(serde_json::json!({"canary_tenant_ids": [9, 2]}));
        assert_eq!(c.canary_position(2), Some(2));
        assert_eq!(c.canary_position(3), None);
    }
}
