//! The vocabulary of operation runs: scope, reason, source, statuses, outcomes, and the typed
//! confirmation phrase.

use std::fmt;

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most tenants a list scope may name (docs/spec.md §21).
pub const MAX_LISTED_TENANTS: usize = 10_000;
/// Above this many tenants a list or workspace scope needs `ops.runbooks.run_all_tenants`.
pub const MAX_TENANTS_WITHOUT_ALL_TENANTS: u64 = 100;

/// Which tenants a run covers, as a request names them (docs/spec.md §5, §21): one tenant, all
/// tenants, a list (by id or by external id), or a workspace. The service resolves it against
/// the database into a [`Target`].
// Read through `ScopeWire`: serde ignores unknown fields of an internally tagged unit variant,
// and a `tenant_id` sent with `all_tenants` must not silently widen a run to every tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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
    /// The listed tenants (1–10,000 after deduplication): `tenant_ids` or `external_ids`, one
    /// of them.
    Tenants {
        /// Tenant ids.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(min_items = 1, max_items = 10000)]
        tenant_ids: Option<Vec<i64>>,
        /// External ids.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(min_items = 1, max_items = 10000)]
        external_ids: Option<Vec<String>>,
    },
    /// Every tenant of a workspace (its non-platform tenants at preflight time).
    Workspace {
        /// The workspace's id.
        workspace_id: i64,
    },
}

/// The tenants a list scope names, deduplicated and sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantList<'a> {
    /// Tenant ids.
    Ids(&'a [i64]),
    /// External ids.
    ExternalIds(&'a [String]),
}

/// The kind of a [`Scope`], as stored.
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
    /// Listed tenants.
    #[sea_orm(string_value = "tenants")]
    Tenants,
    /// A workspace's tenants.
    #[sea_orm(string_value = "workspace")]
    Workspace,
}

impl Scope {
    /// The stored kind name.
    pub fn kind(&self) -> ScopeKind {
        match self {
            Scope::Tenant { .. } => ScopeKind::Tenant,
            Scope::AllTenants => ScopeKind::AllTenants,
            Scope::Tenants { .. } => ScopeKind::Tenants,
            Scope::Workspace { .. } => ScopeKind::Workspace,
        }
    }

    /// The tenant, for a single-tenant scope.
    pub fn tenant_id(&self) -> Option<i64> {
        match self {
            Scope::Tenant { tenant_id } => Some(*tenant_id),
            _ => None,
        }
    }

    /// The list of a list scope (a parsed one holds exactly one of its two lists).
    pub fn tenant_list(&self) -> Option<TenantList<'_>> {
        match self {
            Scope::Tenants {
                tenant_ids: Some(ids),
                ..
            } => Some(TenantList::Ids(ids)),
            Scope::Tenants {
                external_ids: Some(ids),
                ..
            } => Some(TenantList::ExternalIds(ids)),
            _ => None,
        }
    }
}

/// A scope as sent: its kind and the fields of that kind only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeWire {
    kind: ScopeKind,
    tenant_id: Option<i64>,
    tenant_ids: Option<Vec<i64>>,
    external_ids: Option<Vec<String>>,
    workspace_id: Option<i64>,
}

impl TryFrom<ScopeWire> for Scope {
    type Error = String;

    fn try_from(wire: ScopeWire) -> Result<Self, Self::Error> {
        let ScopeWire {
            kind,
            tenant_id,
            tenant_ids,
            external_ids,
            workspace_id,
        } = wire;
        let mut extra = Vec::new();
        let mut allow = |present: bool, name: &'static str, allowed: bool| {
            if present && !allowed {
                extra.push(name);
            }
        };
        allow(tenant_id.is_some(), "tenant_id", kind == ScopeKind::Tenant);
        allow(
            tenant_ids.is_some(),
            "tenant_ids",
            kind == ScopeKind::Tenants,
        );
        allow(
            external_ids.is_some(),
            "external_ids",
            kind == ScopeKind::Tenants,
        );
        allow(
            workspace_id.is_some(),
            "workspace_id",
            kind == ScopeKind::Workspace,
        );
        if let Some(name) = extra.first() {
            return Err(format!(
                "a {} scope takes no {name} (tenant takes tenant_id; tenants takes tenant_ids or \
                 external_ids; workspace takes workspace_id; all_tenants takes nothing)",
                kind.as_str()
            ));
        }
        match kind {
            ScopeKind::Tenant => tenant_id
                .map(|tenant_id| Scope::Tenant { tenant_id })
                .ok_or_else(|| "a tenant scope needs tenant_id".to_owned()),
            ScopeKind::AllTenants => Ok(Scope::AllTenants),
            ScopeKind::Workspace => workspace_id
                .map(|workspace_id| Scope::Workspace { workspace_id })
                .ok_or_else(|| "a workspace scope needs workspace_id".to_owned()),
            ScopeKind::Tenants => {
                let scope = match (tenant_ids, external_ids) {
                    (Some(mut ids), None) => {
                        ids.sort_unstable();
                        ids.dedup();
                        Scope::Tenants {
                            tenant_ids: Some(ids),
                            external_ids: None,
                        }
                    }
                    (None, Some(ids)) => {
                        let mut ids: Vec<String> =
                            ids.into_iter().map(|id| id.trim().to_owned()).collect();
                        ids.sort_unstable();
                        ids.dedup();
                        Scope::Tenants {
                            tenant_ids: None,
                            external_ids: Some(ids),
                        }
                    }
                    _ => {
                        return Err(
                            "a tenants scope needs tenant_ids or external_ids (one of them)".into(),
                        );
                    }
                };
                let n = scope.tenant_list().map_or(0, |list| list.len());
                if n == 0 || n > MAX_LISTED_TENANTS {
                    return Err(format!(
                        "a tenants scope names 1 to {MAX_LISTED_TENANTS} distinct tenants, not {n}"
                    ));
                }
                Ok(scope)
            }
        }
    }
}

impl TenantList<'_> {
    /// How many tenants it names.
    pub fn len(&self) -> usize {
        match self {
            TenantList::Ids(ids) => ids.len(),
            TenantList::ExternalIds(ids) => ids.len(),
        }
    }

    /// Whether it names none (never true of a parsed scope).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ScopeKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Tenant => "tenant",
            ScopeKind::AllTenants => "all_tenants",
            ScopeKind::Tenants => "tenants",
            ScopeKind::Workspace => "workspace",
        }
    }
}

/// A scope resolved against the database: the tenants a run covers (docs/spec.md §21). A list
/// or a workspace is the set of tenant ids, ascending, fixed at the preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One tenant.
    Tenant(i64),
    /// Every tenant but the platform tenant.
    AllTenants,
    /// Listed tenants.
    Tenants(Vec<i64>),
    /// A workspace's tenants.
    Workspace {
        /// The workspace.
        workspace_id: i64,
        /// Its tenants at the preflight.
        tenant_ids: Vec<i64>,
    },
}

impl Target {
    /// The stored kind name.
    pub fn kind(&self) -> ScopeKind {
        match self {
            Target::Tenant(_) => ScopeKind::Tenant,
            Target::AllTenants => ScopeKind::AllTenants,
            Target::Tenants(_) => ScopeKind::Tenants,
            Target::Workspace { .. } => ScopeKind::Workspace,
        }
    }

    /// The tenant of a single-tenant target.
    pub fn tenant_id(&self) -> Option<i64> {
        match self {
            Target::Tenant(id) => Some(*id),
            _ => None,
        }
    }

    /// The workspace of a workspace target.
    pub fn workspace_id(&self) -> Option<i64> {
        match self {
            Target::Workspace { workspace_id, .. } => Some(*workspace_id),
            _ => None,
        }
    }

    /// The tenant ids of a list or a workspace (stored in `run_scope_tenants`).
    pub fn listed(&self) -> Option<&[i64]> {
        match self {
            Target::Tenants(ids)
            | Target::Workspace {
                tenant_ids: ids, ..
            } => Some(ids),
            _ => None,
        }
    }

    /// Whether a start needs the typed phrase: every scope of more than a single named tenant.
    pub fn needs_phrase(&self) -> bool {
        !matches!(self, Target::Tenant(_))
    }

    /// Whether a start needs `ops.runbooks.run_all_tenants`: all tenants, or a list or
    /// workspace of more than [`MAX_TENANTS_WITHOUT_ALL_TENANTS`].
    pub fn needs_all_tenants_capability(&self) -> bool {
        match self {
            Target::Tenant(_) => false,
            Target::AllTenants => true,
            Target::Tenants(ids)
            | Target::Workspace {
                tenant_ids: ids, ..
            } => ids.len() as u64 > MAX_TENANTS_WITHOUT_ALL_TENANTS,
        }
    }

    /// Whether two targets share a tenant: all-tenants overlaps everything.
    pub fn overlaps(&self, other: &Target) -> bool {
        match (self.ids(), other.ids()) {
            (Some(a), Some(b)) => sorted_intersect(a, b),
            _ => true,
        }
    }

    fn ids(&self) -> Option<&[i64]> {
        match self {
            Target::Tenant(id) => Some(std::slice::from_ref(id)),
            Target::AllTenants => None,
            Target::Tenants(ids)
            | Target::Workspace {
                tenant_ids: ids, ..
            } => Some(ids),
        }
    }

    /// The key that identifies an identical active run of `runbook` (unique while active): a
    /// list is keyed by a digest of its ids.
    pub fn active_key(&self, runbook: &str) -> String {
        match self {
            Target::Tenant(tenant_id) => format!("{runbook}|tenant:{tenant_id}"),
            Target::AllTenants => format!("{runbook}|all_tenants"),
            Target::Tenants(ids) => format!("{runbook}|tenants:{}", digest(ids)),
            Target::Workspace {
                workspace_id,
                tenant_ids,
            } => format!("{runbook}|workspace:{workspace_id}:{}", digest(tenant_ids)),
        }
    }
}

/// Whether two ascending id lists share an element.
fn sorted_intersect(a: &[i64], b: &[i64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// A short hex digest of a tenant id list.
fn digest(ids: &[i64]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for id in ids {
        hasher.update(id.to_le_bytes());
    }
    hex::encode(&hasher.finalize()[..16])
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
    /// Lifecycle of a run (docs/spec.md §4, §13): `queued → running ⇄ paused → completed`.
    RunStatus {
        /// Created, no tenant job started yet.
        Queued => "queued",
        /// At least one tenant job started.
        Running => "running",
        /// Held: no item starts until it is resumed; items already running finish and count.
        Paused => "paused",
        /// Finished; see the outcome.
        Completed => "completed",
    }
);

impl RunStatus {
    /// The statuses of a run that holds its lock and may still change: the overlap rules and
    /// every "active runs" query use this one list. A paused run keeps its lock.
    pub const ACTIVE: [RunStatus; 3] = [RunStatus::Queued, RunStatus::Running, RunStatus::Paused];

    /// Whether a run may move from `from` to `to` (docs/spec.md §4, §13): `queued → running`,
    /// a pause from `queued` or `running`, a resume back to either (`queued` when no tenant has
    /// started), and completion from any active status (a run cancelled, or with nothing to
    /// do, completes before any tenant starts; a paused run completes when it is cancelled or
    /// its last in-flight item was its last item). Nothing leaves `completed`.
    pub const fn can_become(from: RunStatus, to: RunStatus) -> bool {
        matches!(
            (from, to),
            (RunStatus::Queued, RunStatus::Running)
                | (RunStatus::Queued | RunStatus::Running, RunStatus::Paused)
                | (RunStatus::Paused, RunStatus::Running | RunStatus::Queued)
                | (
                    RunStatus::Queued | RunStatus::Running | RunStatus::Paused,
                    RunStatus::Completed
                )
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
    /// Why a run is paused (docs/spec.md §13).
    PauseReason {
        /// An operator paused it.
        Operator => "operator",
        /// More items failed than its failure budget allows since it started or last resumed.
        FailureBudget => "failure_budget",
        /// Every item of a wave finished: the next wave waits for a resume.
        WaveGate => "wave_gate",
    }
);

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

/// The verb of a revert's typed phrase: `REVERT <n> TENANTS` (docs/spec.md §15).
pub const REVERT_VERB: &str = "REVERT";

/// What a run (or a preflight) does: a runbook's repair, or a revert of a completed run from
/// its change log (docs/spec.md §15).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// The runbook's repair (a start or a retry of one).
    #[default]
    Run,
    /// Puts back what another run changed (`reverts_run_id`).
    Revert,
}

impl RunKind {
    /// The kind of a run (or preflight) that reverts `reverts_run_id`, if any.
    pub fn of(reverts_run_id: Option<i64>) -> Self {
        if reverts_run_id.is_some() {
            RunKind::Revert
        } else {
            RunKind::Run
        }
    }
}

/// Whether `typed` is exactly `phrase`: no trimming, no case folding.
pub fn confirms(typed: Option<&str>, phrase: &str) -> bool {
    typed == Some(phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_move_through_the_state_machine() {
        use sea_orm::Iterable;
        for from in RunStatus::iter() {
            assert!(!RunStatus::can_become(from, from), "{from} -> {from}");
            assert!(!RunStatus::can_become(RunStatus::Completed, from));
        }
        assert!(RunStatus::can_become(RunStatus::Queued, RunStatus::Running));
        assert!(RunStatus::can_become(RunStatus::Running, RunStatus::Paused));
        assert!(RunStatus::can_become(RunStatus::Paused, RunStatus::Running));
        // Only a resume of a run no tenant started goes back to queued.
        assert_eq!(
            RunStatus::sources_of(RunStatus::Queued),
            vec![RunStatus::Paused]
        );
        assert!(!RunStatus::can_become(
            RunStatus::Running,
            RunStatus::Queued
        ));
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
        let t1 = Target::Tenant(1);
        let t2 = Target::Tenant(2);
        assert!(t1.overlaps(&t1));
        assert!(!t1.overlaps(&t2));
        assert!(Target::AllTenants.overlaps(&t2));
        assert!(t2.overlaps(&Target::AllTenants));
        let list = Target::Tenants(vec![3, 5, 9]);
        let workspace = Target::Workspace {
            workspace_id: 1,
            tenant_ids: vec![1, 4, 9],
        };
        assert!(list.overlaps(&workspace), "they share tenant 9");
        assert!(!list.overlaps(&Target::Tenants(vec![4, 6, 10])));
        assert!(Target::Tenant(5).overlaps(&list));
        assert!(!Target::Tenant(4).overlaps(&list));
        assert!(Target::AllTenants.overlaps(&list));
    }

    #[test]
    fn a_list_needs_the_all_tenants_capability_above_100() {
        let ids = |n: i64| Target::Tenants((1..=n).collect());
        assert!(!ids(100).needs_all_tenants_capability());
        assert!(ids(101).needs_all_tenants_capability());
        assert!(ids(2).needs_phrase());
        assert!(!Target::Tenant(1).needs_phrase());
        assert_ne!(ids(3).active_key("rb"), ids(4).active_key("rb"));
        assert_eq!(ids(3).active_key("rb"), ids(3).active_key("rb"));
    }

    #[test]
    fn scopes_parse_from_json_strictly() {
        let s: Scope = serde_json::from_str(r#"{"kind":"tenant","tenant_id":12}"#).expect("tenant");
        assert_eq!(s, Scope::Tenant { tenant_id: 12 });
        let s: Scope = serde_json::from_str(r#"{"kind":"all_tenants"}"#).expect("all");
        assert_eq!(s, Scope::AllTenants);
        assert!(serde_json::from_str::<Scope>(r#"{"kind":"tenant"}"#).is_err());
        assert!(serde_json::from_str::<Scope>(r#"{"kind":"everyone"}"#).is_err());
        let s: Scope =
            serde_json::from_str(r#"{"kind":"tenants","tenant_ids":[5,3,5]}"#).expect("ids");
        assert_eq!(
            s.tenant_list(),
            Some(TenantList::Ids(&[3, 5])),
            "sorted, deduplicated"
        );
        let s: Scope = serde_json::from_str(r#"{"kind":"tenants","external_ids":["b"," a","b"]}"#)
            .expect("external ids");
        assert_eq!(
            s.tenant_list(),
            Some(TenantList::ExternalIds(&["a".to_owned(), "b".to_owned()]))
        );
        for bad in [
            r#"{"kind":"tenants"}"#,
            r#"{"kind":"tenants","tenant_ids":[]}"#,
            r#"{"kind":"tenants","tenant_ids":[1],"external_ids":["a"]}"#,
            r#"{"kind":"tenants","tenant_id":1}"#,
            r#"{"kind":"workspace"}"#,
            r#"{"kind":"workspace","workspace_id":1,"tenant_ids":[1]}"#,
            r#"{"kind":"all_tenants","workspace_id":1}"#,
        ] {
            assert!(serde_json::from_str::<Scope>(bad).is_err(), "{bad}");
        }
        let too_many: Vec<i64> = (1..=MAX_LISTED_TENANTS as i64 + 1).collect();
        let body = serde_json::json!({"kind": "tenants", "tenant_ids": too_many});
        assert!(serde_json::from_value::<Scope>(body).is_err());
        let s: Scope =
            serde_json::from_str(r#"{"kind":"workspace","workspace_id":4}"#).expect("ws");
        assert_eq!(
            serde_json::to_value(&s).expect("serializes"),
            serde_json::json!({"kind": "workspace", "workspace_id": 4})
        );
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
