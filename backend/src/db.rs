//! Database connections for both back-ends.
//!
//! SQLite runs in WAL mode with a generous busy timeout, and every transaction that writes
//! starts with `BEGIN IMMEDIATE` ([`begin_write`]): a deferred transaction that reads first and
//! upgrades to a writer later fails with "database is locked" without waiting for the busy
//! handler, whereas an immediate one queues behind the current writer.

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector, TransactionOptions,
    TransactionTrait,
};

/// The `application_name` of every PostgreSQL connection of the service.
pub const APPLICATION_NAME: &str = "atlas-ops";

/// Opens a pool for `url` (`sqlite://...` or `postgres://...`).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("invalid DATABASE_URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        if let Some(dir) = opts
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        // TLS as the URL or `PGSSLMODE` says, else the driver's default (`prefer`), on this host
        // too: with sqlx 0.9.1 setting TCP_NODELAY, `make bench` measures TLS over loopback as
        // plain (docs/operations.md, "TLS").
        // Every connection of the service is named, so the health gate's oldest-transaction
        // indicator can leave the service's own transactions out (docs/spec.md §14).
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("invalid DATABASE_URL: {e}")))?
            .application_name(APPLICATION_NAME);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
    } else {
        Err(DbErr::Custom(
            "DATABASE_URL must start with sqlite: or postgres:".into(),
        ))
    }
}

/// Applies pending migrations; returns how many were applied.
pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    if pending > 0 {
        Migrator::up(db, None).await?;
    }
    Ok(pending)
}

/// Whether the schema is at the latest migration.
pub async fn is_up_to_date(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

/// Starts a transaction that will write (`BEGIN IMMEDIATE` on SQLite).
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(options).await
    } else {
        db.begin().await
    }
}

/// Bounds how long the statements of `txn` wait for a row lock (PostgreSQL's `lock_timeout`,
/// for this transaction only); a wait past it fails with SQLSTATE 55P03. SQLite has no row
/// locks: a writer transaction (`BEGIN IMMEDIATE`) already holds the database's write lock.
pub async fn set_lock_timeout(txn: &DatabaseTransaction, timeout: Duration) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres && !timeout.is_zero() {
        txn.execute_unprepared(&format!("SET LOCAL lock_timeout = {}", timeout.as_millis()))
            .await?;
    }
    Ok(())
}

/// A cheap round trip, for readiness probes.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// Whether `err` means the database is unreachable or went away (connection refused or
/// dropped, pool exhausted, the server shutting down or terminating the session) rather than
/// that the statement itself failed. Such errors become 503s, and are retried by workers.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)) => match e.as_ref() {
            Sqlx::Io(_)
            | Sqlx::Tls(_)
            | Sqlx::Protocol(_)
            | Sqlx::PoolTimedOut
            | Sqlx::PoolClosed
            | Sqlx::WorkerCrashed => true,
            // SQLSTATE class 08 (connection exception) and 57P (operator intervention:
            // admin shutdown, crash shutdown, cannot connect now, session terminated).
            Sqlx::Database(db) => db
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

/// A raw statement written with `?` placeholders, rewritten to `$1, $2...` on PostgreSQL so one
/// SQL text serves both back-ends. (No `?` may appear inside a literal.)
pub fn stmt(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for ch in sql.chars() {
                if ch == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(ch);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Executes `sql` (with `?` placeholders) and returns the number of rows it affected.
pub async fn exec(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    Ok(db
        .execute_raw(stmt(backend, sql, values))
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_only() {
        let s = stmt(
            DbBackend::Postgres,
            "UPDATE t SET a = ? WHERE b = ?",
            vec![],
        );
        assert_eq!(s.sql, "UPDATE t SET a = $1 WHERE b = $2");
        let s = stmt(DbBackend::Sqlite, "UPDATE t SET a = ? WHERE b = ?", vec![]);
        assert_eq!(s.sql, "UPDATE t SET a = ? WHERE b = ?");
    }
}
