//! The append-only audit log. [`record`] is fail-safe: when the insert fails, the error is
//! logged with its cause and the caller goes on — an audit outage never fails a run or a
//! request.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use crate::entities::audit_events;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A platform operator.
    Operator {
        /// Operator id.
        id: i64,
        /// Operator username.
        username: String,
    },
    /// A customer-plane user.
    Customer {
        /// User id.
        id: i64,
        /// Username.
        username: String,
    },
    /// The system itself (workers, deploy hook).
    System,
    /// Nobody authenticated (failed logins).
    Anonymous {
        /// The username as typed, if any.
        username: Option<String>,
    },
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event {
    /// Stable action name, e.g. `runbook.run.started`.
    pub action: &'static str,
    /// Who.
    pub actor: Actor,
    /// `system_ui`, `api`, `cli`, `deploy_hook`, `worker`...
    pub source: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Target kind and id, e.g. (`operation_run`, `42`).
    pub target: Option<(&'static str, String)>,
    /// Scope, reason, counts...
    pub metadata: Value,
    /// The HTTP request id, when there is one.
    pub request_id: Option<String>,
}

impl Event {
    /// An event with no target, source, IP or metadata yet.
    pub fn new(action: &'static str, actor: Actor) -> Self {
        Self {
            action,
            actor,
            source: None,
            ip: None,
            target: None,
            metadata: Value::Object(Default::default()),
            request_id: None,
        }
    }
}

/// Appends `event`; never fails the caller.
pub async fn record(db: &impl ConnectionTrait, event: Event) {
    let (kind, id, label) = match &event.actor {
        Actor::Operator { id, username } => ("operator", Some(*id), Some(username.clone())),
        Actor::Customer { id, username } => ("customer", Some(*id), Some(username.clone())),
        Actor::System => ("system", None, None),
        Actor::Anonymous { username } => ("anonymous", None, username.clone()),
    };
    let action = event.action;
    let row = audit_events::ActiveModel {
        action: Set(action.to_owned()),
        actor_kind: Set(kind.to_owned()),
        actor_id: Set(id),
        actor_label: Set(label),
        source: Set(event.source),
        ip: Set(event.ip),
        target_type: Set(event.target.as_ref().map(|(t, _)| (*t).to_owned())),
        target_id: Set(event.target.map(|(_, id)| id)),
        metadata: Set(event.metadata),
        request_id: Set(event.request_id),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    if let Err(err) = row.insert(db).await {
        tracing::error!(audit.action = action, error.cause_chain = ?err, "audit event could not be written; continuing");
    }
}

/// An audit event (wire format).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditEventView {
    /// Id.
    pub id: i64,
    /// Action, e.g. `runbook.run.started`.
    pub action: String,
    /// `operator`, `customer`, `system` or `anonymous`.
    pub actor_kind: String,
    /// Actor id.
    pub actor_id: Option<i64>,
    /// Actor username (as typed, for failed logins).
    pub actor_label: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Target kind.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// Scope, reason, counts...
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// HTTP request id.
    pub request_id: Option<String>,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Filters of the audit log (all optional; they combine with AND).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact action.
    pub action: Option<String>,
    /// Actor username (exact, case-insensitive).
    pub actor: Option<String>,
    /// Only events at or after this instant.
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only events before this instant.
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
}

impl AuditFilter {
    fn select(&self) -> sea_orm::Select<audit_events::Entity> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let mut query = audit_events::Entity::find();
        if let Some(action) = &self.action {
            query = query.filter(audit_events::Column::Action.eq(action.clone()));
        }
        if let Some(actor) = &self.actor {
            query = query.filter(audit_events::Column::ActorLabel.eq(actor.trim().to_lowercase()));
        }
        if let Some(after) = self.created_after {
            query = query.filter(audit_events::Column::CreatedAt.gte(after));
        }
        if let Some(before) = self.created_before {
            query = query.filter(audit_events::Column::CreatedAt.lt(before));
        }
        query
    }
}

impl From<audit_events::Model> for AuditEventView {
    fn from(e: audit_events::Model) -> Self {
        Self {
            id: e.id,
            action: e.action,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_label: e.actor_label,
            source: e.source,
            ip: e.ip,
            target_type: e.target_type,
            target_id: e.target_id,
            metadata: e.metadata,
            request_id: e.request_id,
            created_at: e.created_at,
        }
    }
}

/// One page of the audit log, newest first, and the total count.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<AuditEventView>, u64), sea_orm::DbErr> {
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
    let query = filter.select();
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(audit_events::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

/// The next `limit` events matching `filter` with an id below `before_id` (all when `None`),
/// newest first: keyset pages for exports that must not load the whole log.
pub async fn list_before(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    before_id: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEventView>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut query = filter.select();
    if let Some(before) = before_id {
        query = query.filter(audit_events::Column::Id.lt(before));
    }
    Ok(query
        .order_by_desc(audit_events::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
