//! sea-orm entities: one file per table, data only. Behaviour lives in the service modules.

pub mod alert_deliveries;
pub mod api_tokens;
pub mod audit_events;
pub mod customer_users;
pub mod findings;
pub mod idempotency_keys;
pub mod login_throttle;
pub mod notifications;
pub mod operation_runs;
pub mod operator_capabilities;
pub mod operators;
pub mod preflight_tenants;
pub mod preflights;
pub mod run_item_attempts;
pub mod run_items;
pub mod run_scope_tenants;
pub mod sessions;
pub mod tenants;
pub mod workspaces;
