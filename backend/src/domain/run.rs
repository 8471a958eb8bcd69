//! The vocabulary of operation runs: scope, reason, source, statuses, outcomes, and the typed
//! confirmation phrase.

use std::fmt;

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which tenants a run covers: `tenant_id` is required with `tenant` and refused with
/// `all_tenants`.
// Read through `ScopeWire`: serde ignores unknown fields of an internally tagged unit variant,
// and a `tenant_id` sent with `all_tenants` must not silently widen a run to every tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    try_from = "ScopeWire"
)]
pub enum Scope {
    /// One tenant.
    Tenant {
        /// The tenant's id.
        tenant_id: i64,
    },
    /// Every tenant but the platform tenant.
    AllTenants,
}

/// The kind of a [`Scope`], without its tenant.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ScopeKind {
    /// One tenant.
    #[sea_orm(string_value = "tenant")]
    Tenant,
    /// All tenants.
    #[sea_orm(string_value = "all_tenants")]
    AllTenants,
}

impl Scope {
    /// The stored kind name.
    pub fn kind(&self) -> ScopeKind {
        match self {
            Scope::Tenant { .. } => ScopeKind::Tenant,
            Scope::AllTenants => ScopeKind::AllTenants,
        }
    }

    /// The tenant, for a single-tenant scope.
    pub fn tenant_id(&self) -> Option<i64> {
        match self {
            Scope::Tenant { tenant_id } => Some(*tenant_id),
            Scope::AllTenants => None,
        }
    }

    /// Whether two scopes share a tenant: all-tenants overlaps everything.
    pub fn overlaps(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::Tenant { tenant_id: a }, Scope::Tenant { tenant_id: b }) => a == b,
            _ => true,
        }
    }

    /// The key that identifies an identical active run of `runbook` (unique while active).
    pub fn active_key(&self, runbook: &str) -> String {
        match self {
            Scope::Tenant { tenant_id } => format!("{runbook}|tenant:{tenant_id}"),
            Scope::AllTenants => format!("{runbook}|all_tenants"),
        }
    }

    /// Rebuilds a scope from its stored columns; `None` for a corrupt pair (a tenant scope
    /// without its tenant, or an all-tenants scope with one), never a guess.
    pub fn from_columns(kind: ScopeKind, tenant_id: Option<i64>) -> Option<Scope> {
        match (kind, tenant_id) {
            (ScopeKind::Tenant, Some(tenant_id)) => Some(Scope::Tenant { tenant_id }),
            (ScopeKind::AllTenants, None) => Some(Scope::AllTenants),
            _ => None,
        }
    }
}

/// A scope as sent: its kind and, for one tenant only, the tenant.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeWire {
    kind: ScopeKind,
    tenant_id: Option<i64>,
}

impl TryFrom<ScopeWire> for Scope {
    type Error = &'static str;

    fn try_from(wire: ScopeWire) -> Result<Self, Self::Error> {
        match (wire.kind, wire.tenant_id) {
            (ScopeKind::Tenant, Some(tenant_id)) => Ok(Scope::Tenant { tenant_id }),
            (ScopeKind::Tenant, None) => Err("a tenant scope needs tenant_id"),
            (ScopeKind::AllTenants, None) => Ok(Scope::AllTenants),
            (ScopeKind::AllTenants, Some(_)) => {
                Err("an all_tenants scope takes no tenant_id; send kind \"tenant\" for one tenant")
            }
        }
    }
}

impl ScopeKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Tenant => "tenant",
            ScopeKind::AllTenants => "all_tenants",
        }
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        // Stored as its name in a text column: the entity's field is the enum, so a row holding
        // an unknown name fails to load instead of being guessed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema, EnumIter, DeriveActiveEnum)]
        #[serde(rename_all = "snake_case")]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $text)] $variant),+
        }

        impl $name {
            /// The stored name.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Why an operator runs a runbook.
    ReasonCode {
        /// Repairing data.
        DataRepair => "data_repair",
        /// Responding to an incident.
        Incident => "incident",
        /// Part of a migration.
        Migration => "migration",
        /// A customer asked.
        SupportRequest => "support_request",
        /// Anything else (explain in the text).
        Other => "other",
    }
);

string_enum!(
    /// Where a start came from.
    Source {
        /// The operator console.
        SystemUi => "system_ui",
        /// The REST API with a token.
        Api => "api",
        /// The command line.
        Cli => "cli",
        /// The deploy hook.
        DeployHook => "deploy_hook",
    }
);

string_enum!(
    /// Lifecycle of a run: queued → running → completed, never back.
    RunStatus {
        /// Created, no tenant job started yet.
        Queued => "queued",
        /// At least one tenant job started.
        Running => "running",
        /// Finished; see the outcome.
        Completed => "completed",
    }
);

impl RunStatus {
    /// The statuses of a run that holds its lock and may still change: the overlap rules and
    /// every "active runs" query use this one list.
    pub const ACTIVE: [RunStatus; 2] = [RunStatus::Queued, RunStatus::Running];

    /// Whether a run may move from `from` to `to` (docs/spec.md §4, §13): forward only,
    /// `queued → running → completed`, and `queued → completed` for a run that ends before any
    /// tenant starts (cancelled, or nothing to do).
    pub const fn can_become(from: RunStatus, to: RunStatus) -> bool {
        matches!(
            (from, to),
            (RunStatus::Queued, RunStatus::Running)
                | (RunStatus::Queued | RunStatus::Running, RunStatus::Completed)
        )
    }

    /// Whether the run holds its lock and may still change.
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// Every status a run may come to `to` from.
    pub fn sources_of(to: RunStatus) -> Vec<RunStatus> {
        use sea_orm::Iterable;
        RunStatus::iter()
            .filter(|&from| RunStatus::can_become(from, to))
            .collect()
    }
}

string_enum!(
    /// How a completed run ended.
    Outcome {
        /// Every tenant succeeded.
        Succeeded => "succeeded",
        /// Some tenants failed.
        PartiallySucceeded => "partially_succeeded",
        /// Every tenant failed, or the run could not proceed.
        Failed => "failed",
        /// Cancelled by an operator.
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// State of one tenant's item.
    ItemStatus {
        /// Waiting for a worker.
        Pending => "pending",
        /// A worker is on it.
        Running => "running",
        /// Between attempts: the last one failed with an error a retry may fix, and the next
        /// one is scheduled.
        Retrying => "retrying",
        /// Rebuilt.
        Succeeded => "succeeded",
        /// Failed: at once on an error no retry can fix, else after its retries.
        Failed => "failed",
        /// Not applicable (e.g. the tenant disappeared).
        Skipped => "skipped",
        /// Cancelled before it started, or while it waited for a retry.
        Cancelled => "cancelled",
    }
);

/// Bounds of a reason's text.
pub const REASON_TEXT_CHARS: std::ops::RangeInclusive<usize> = 10..=500;

/// A validated reason: a code and 10–500 characters of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reason {
    /// The reason code.
    pub code: ReasonCode,
    /// Free text, 10–500 characters.
    pub text: String,
}

/// Why a reason was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    /// Unknown code.
    #[error(
        "unknown reason code {0:?}; expected data_repair, incident, migration, support_request or other"
    )]
    UnknownCode(String),
    /// Text too short or too long.
    #[error("reason text must be 10 to 500 characters (got {0})")]
    TextLength(usize),
}

impl Reason {
    /// Parses a code and text; the text is trimmed first.
    pub fn parse(code: &str, text: &str) -> Result<Reason, ReasonError> {
        let code = ReasonCode::parse(code).ok_or_else(|| ReasonError::UnknownCode(code.into()))?;
        let text = text.trim();
        let len = text.chars().count();
        if !REASON_TEXT_CHARS.contains(&len) {
            return Err(ReasonError::TextLength(len));
        }
        Ok(Reason {
            code,
            text: text.to_owned(),
        })
    }
}

/// The typed phrase an all-tenants start needs: the runbook's verb and the blast radius, e.g.
/// `REBUILD 1000 TENANTS`.
pub fn confirmation_phrase(verb: &str, tenants: u64) -> String {
    format!("{verb} {tenants} TENANTS")
}

/// Whether `typed` is exactly `phrase`: no trimming, no case folding.
pub fn confirms(typed: Option<&str>, phrase: &str) -> bool {
    typed == Some(phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_only_move_forward() {
        use sea_orm::Iterable;
        for from in RunStatus::iter() {
            assert!(!RunStatus::can_become(from, from), "{from} -> {from}");
            assert!(!RunStatus::can_become(RunStatus::Completed, from));
            assert!(!RunStatus::can_become(from, RunStatus::Queued));
        }
        assert!(RunStatus::can_become(RunStatus::Queued, RunStatus::Running));
        assert_eq!(
            RunStatus::sources_of(RunStatus::Completed),
            RunStatus::ACTIVE.to_vec()
        );
        assert!(RunStatus::ACTIVE.iter().all(|s| s.is_active()));
        assert!(!RunStatus::Completed.is_active());
    }

    #[test]
    fn reasons_are_checked() {
        assert!(Reason::parse("data_repair", "fix lifecycle columns").is_ok());
        assert_eq!(
            Reason::parse("data_repair", "   short   "),
            Err(ReasonError::TextLength(5))
        );
        assert_eq!(
            Reason::parse("data_repair", &"x".repeat(501)),
            Err(ReasonError::TextLength(501))
        );
        assert!(matches!(
            Reason::parse("because", "long enough text"),
            Err(ReasonError::UnknownCode(_))
        ));
        // Characters, not bytes.
        assert!(Reason::parse("other", &"é".repeat(10)).is_ok());
    }

    #[test]
    fn phrases_name_the_blast_radius() {
        assert_eq!(confirmation_phrase("REBUILD", 1000), "REBUILD 1000 TENANTS");
        assert_eq!(confirmation_phrase("REBUILD", 1), "REBUILD 1 TENANTS");
        assert_eq!(
            confirmation_phrase("CLOSE STALE IN", 3),
            "CLOSE STALE IN 3 TENANTS"
        );
    }

    #[test]
    fn overlap_rules() {
        let t1 = Scope::Tenant { tenant_id: 1 };
        let t2 = Scope::Tenant { tenant_id: 2 };
        assert!(t1.overlaps(&t1));
        assert!(!t1.overlaps(&t2));
        assert!(Scope::AllTenants.overlaps(&t2));
        assert!(t2.overlaps(&Scope::AllTenants));
    }

    #[test]
    fn scopes_parse_from_json_strictly() {
        let s: Scope = serde_json::from_str(r#"{"kind":"tenant","tenant_id":12}"#).expect("tenant");
        assert_eq!(s, Scope::Tenant { tenant_id: 12 });
        let s: Scope = serde_json::from_str(r#"{"kind":"all_tenants"}"#).expect("all");
        assert_eq!(s, Scope::AllTenants);
        assert!(serde_json::from_str::<Scope>(r#"{"kind":"tenant"}"#).is_err());
        assert!(serde_json::from_str::<Scope>(r#"{"kind":"everyone"}"#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_reason_input_parses_or_is_refused_without_panicking(code in ".{0,20}", text in "\\PC{0,700}") {
            let trimmed = text.trim();
            let len = trimmed.chars().count();
            match Reason::parse(&code, &text) {
                Ok(reason) => {
                    proptest::prop_assert_eq!(reason.code.as_str(), code.as_str());
                    proptest::prop_assert_eq!(reason.text.as_str(), trimmed, "kept verbatim");
                    proptest::prop_assert!(REASON_TEXT_CHARS.contains(&len));
                }
                Err(ReasonError::UnknownCode(_)) => proptest::prop_assert!(ReasonCode::parse(&code).is_none()),
                Err(ReasonError::TextLength(n)) => {
                    proptest::prop_assert_eq!(n, len);
                    proptest::prop_assert!(!REASON_TEXT_CHARS.contains(&len));
                }
            }
        }

        #[test]
        fn any_json_is_a_scope_or_an_error_never_a_panic(json in "\\PC{0,80}", id in proptest::num::i64::ANY) {
            let _ = serde_json::from_str::<Scope>(&json);
            let tenant: Scope = serde_json::from_value(serde_json::json!({"kind": "tenant", "tenant_id": id}))
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(tenant, Scope::Tenant { tenant_id: id });
            let extra = serde_json::json!({"kind": "all_tenants", "tenant_id": id});
            proptest::prop_assert!(serde_json::from_value::<Scope>(extra).is_err(), "unknown fields are refused");
        }

        #[test]
        fn only_the_exact_phrase_confirms(n in 0u64..1_000_000, typed in "\\PC{0,30}", variant in 0usize..6) {
            let phrase = confirmation_phrase("REBUILD", n);
            proptest::prop_assert!(confirms(Some(&phrase), &phrase));
            proptest::prop_assert!(!confirms(None, &phrase));
            proptest::prop_assert_eq!(confirms(Some(&typed), &phrase), typed == phrase);
            let near_miss = match variant {
                0 => phrase.to_lowercase(),
                1 => format!(" {phrase}"),
                2 => format!("{phrase} "),
                3 => confirmation_phrase("REBUILD", n + 1),
                4 => phrase.replace(' ', "  "),
                _ => phrase.replacen('R', "\u{0280}", 1),
            };
            proptest::prop_assert!(!confirms(Some(&near_miss), &phrase), "{near_miss:?}");
        }
    }
}
