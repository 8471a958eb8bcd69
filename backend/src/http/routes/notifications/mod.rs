//! The signed-in operator's notifications (`/system/api/notifications/...`).

pub mod list;
pub mod read;
pub mod read_all;
