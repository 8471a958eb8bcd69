//! Identities of both planes: operators, customer users, passwords.

pub mod operators;
pub mod password;
