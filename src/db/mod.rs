//! One connection type over SQLite and PostgreSQL, a pool suited to async
//! handlers, write transactions, and the migrations runner.

pub mod migrations;
pub mod schema;

use std::time::Duration;

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use secrecy::ExposeSecret;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::config::DatabaseUrl;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Postgres(_) => Backend::Postgres,
        }
    }

    /// Connects to the backend the URL names, reporting that backend's own error
    /// (diesel's derived `establish` tries each variant and hides it).
    pub fn open(url: &DatabaseUrl) -> Result<DbConnection, ConnectionError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the writer; busy_timeout makes a
                // second writer wait instead of failing with "database is locked".
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Postgres(PgConnection::establish(url.expose_secret())?)),
        }
    }
}

/// Runs `f` in a transaction meant to write. On SQLite it starts IMMEDIATE, so
/// the write lock is taken up front and concurrent writers queue on
/// busy_timeout rather than failing on a lock upgrade.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match <DbConnection as Connection>::TransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

pub struct Manager {
    url: DatabaseUrl,
}

impl managed::Manager for Manager {
    type Type = DbConnection;
    type Error = ConnectionError;

    async fn create(&self) -> Result<DbConnection, ConnectionError> {
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || DbConnection::open(&url))
            .await
            .map_err(|e| ConnectionError::BadConnection(format!("connection task failed: {e}")))?
    }

    async fn recycle(&self, conn: &mut DbConnection, _: &Metrics) -> RecycleResult<ConnectionError> {
        if <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn) {
            return Err(RecycleError::message("connection left inside a broken transaction"));
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database pool: {0}")]
    Pool(#[from] managed::PoolError<ConnectionError>),
    #[error("database task panicked or was cancelled: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The pool. Every use runs on tokio's blocking threads, so diesel's
/// synchronous calls never stall the async runtime.
#[derive(Clone)]
pub struct Db {
    pool: managed::Pool<Manager>,
    backend: Backend,
}

impl Db {
    pub fn new(url: &DatabaseUrl, size: usize) -> Result<Db, managed::BuildError> {
        let backend = match url {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let pool = managed::Pool::builder(Manager { url: url.clone() })
            .max_size(size)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `f` on a pooled connection, outside any transaction.
    pub async fn run<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        tokio::task::spawn_blocking(move || f(&mut conn)).await.map_err(DbError::from)?
    }

    /// Runs `f` inside one write transaction: the state change, its audit row
    /// and any outbox row commit together or not at all.
    pub async fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, f)).await
    }
}

diesel::define_sql_function! {
    /// SQL `lower()`: with a lower-cased pattern, a LIKE that ignores case on
    /// both backends (PostgreSQL's LIKE does not).
    fn lower(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// A LIKE pattern (escape character `\\`) matching any text that contains
/// `needle` literally.
pub fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The count for `key` in the rows of a `GROUP BY key` count; 0 when absent.
pub fn count_for(counts: &[(String, i64)], key: &str) -> i64 {
    counts.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
}

/// The current time as stored: UTC, truncated to microseconds so that both
/// backends give back exactly what was written.
pub fn now() -> PrimitiveDateTime {
    to_stored(OffsetDateTime::now_utc())
}

pub fn to_stored(t: OffsetDateTime) -> PrimitiveDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.microsecond();
    let t = t.replace_microsecond(micros).expect("microseconds are in range");
    PrimitiveDateTime::new(t.date(), t.time())
}

/// Whether a diesel error is a unique-constraint violation (how a lost race
/// on an insert shows up on both backends).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}
