//! Workspaces a scope can name (`/system/api/ops/workspaces`, docs/spec.md §21).

pub mod list;
