//! Domain types parsed once at the edge: inside the service an invalid value cannot exist.

pub mod capability;
pub mod control;
pub mod run;
