//! Why a tenant's attempt failed, as the item stores it (docs/spec.md §18): the database's own message
//! once, without the driver's layers repeating it, its SQLSTATE when there is one, and whether
//! a retry can help.
//!
//! A constraint violation or a data error (SQLSTATE classes 23 and 22) fails the same way on
//! every attempt, so retrying it only delays the truth; anything else (a lost connection, a
//! serialization failure, a raised exception) may pass and is retried. SQLite has no
//! SQLSTATE: its constraint violations are mapped to the class 23 codes PostgreSQL uses, so
//! that "fails at once" holds on both back-ends.

use sea_orm::{DbErr, RuntimeErr};
use sqlx::error::ErrorKind;

/// One failed attempt of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    /// The error's own message (for a database error, the database's message alone).
    pub message: String,
    /// The five-character SQLSTATE, for a database error that has one.
    pub sqlstate: Option<String>,
}

impl ItemFailure {
    /// Classifies the error an attempt returned: the first database error in its chain, or
    /// else the chain's text with each repetition dropped.
    /// A context the caller added above the database error (the tenant that waited on a
    /// lock) leads the message.
    pub fn of(error: &anyhow::Error) -> Self {
        let failure = error
            .chain()
            .find_map(|cause| cause.downcast_ref::<DbErr>())
            .and_then(database_failure);
        match failure {
            Some(mut failure) => {
                if error.downcast_ref::<DbErr>().is_none() {
                    failure.message = format!("{error}: {}", failure.message);
                }
                failure
            }
            None => Self {
                message: crate::jobs::describe(error),
                sqlstate: None,
            },
        }
    }

    /// Whether `error` is PostgreSQL's `lock_timeout` firing (SQLSTATE 55P03): the tenant
    /// waited on a row lock the host application held; a retry may pass.
    pub fn lock_wait(error: &DbErr) -> bool {
        database_failure(error).is_some_and(|f| f.sqlstate.as_deref() == Some("55P03"))
    }

    /// Whether a retry cannot fix it (SQLSTATE class 22, data exception, or 23, integrity
    /// constraint violation).
    pub fn is_permanent(&self) -> bool {
        self.sqlstate
            .as_deref()
            .is_some_and(|s| s.starts_with("22") || s.starts_with("23"))
    }

    /// The text stored as the item's error: the message and, when there is one, the SQLSTATE.
    pub fn text(&self) -> String {
        match &self.sqlstate {
            Some(code) => format!("{} (SQLSTATE {code})", self.message),
            None => self.message.clone(),
        }
    }
}

/// The database's message and SQLSTATE, when `error` came from the database itself.
fn database_failure(error: &DbErr) -> Option<ItemFailure> {
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx_error))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx_error))
    | DbErr::Conn(RuntimeErr::SqlxError(sqlx_error))) = error
    else {
        return None;
    };
    let sqlx::Error::Database(db) = sqlx_error.as_ref() else {
        return None;
    };
    let sqlstate = if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        db.code().map(|c| c.into_owned())
    } else {
        sqlite_sqlstate(db.kind()).map(str::to_owned)
    };
    Some(ItemFailure {
        message: db.message().to_owned(),
        sqlstate,
    })
}

/// The PostgreSQL SQLSTATE of a SQLite constraint violation. A `RAISE(ABORT)` in a trigger is
/// a constraint error to SQLite too, but it is an exception raised on purpose (PostgreSQL's
/// `RAISE EXCEPTION` is `P0001`), so it keeps no SQLSTATE and is retried on both.
fn sqlite_sqlstate(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::UniqueViolation => Some("23505"),
        ErrorKind::ForeignKeyViolation => Some("23503"),
        ErrorKind::NotNullViolation => Some("23502"),
        ErrorKind::CheckViolation => Some("23514"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_22_and_23_are_permanent_and_others_are_not() {
        let failure = |sqlstate: Option<&str>| ItemFailure {
            message: "boom".into(),
            sqlstate: sqlstate.map(str::to_owned),
        };
        assert!(failure(Some("23514")).is_permanent());
        assert!(failure(Some("22P02")).is_permanent());
        assert!(!failure(Some("40001")).is_permanent());
        assert!(!failure(Some("P0001")).is_permanent());
        assert!(!failure(None).is_permanent());
        assert_eq!(failure(Some("23505")).text(), "boom (SQLSTATE 23505)");
        assert_eq!(failure(None).text(), "boom");
    }

    #[test]
    fn a_non_database_error_is_described_once() {
        let error = anyhow::anyhow!("disk on fire").context("rebuild failed: disk on fire");
        let failure = ItemFailure::of(&error);
        assert_eq!(failure.message, "rebuild failed: disk on fire");
        assert_eq!(failure.sqlstate, None);
    }
}
