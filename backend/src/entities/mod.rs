//! sea-orm entities: one file per table, data only. Behaviour lives in the service modules.

pub mod audit_events;
pub mod customer_users;
pub mod findings;
pub mod operator_capabilities;
pub mod operators;
pub mod tenants;
pub mod workspaces;
