//! Schema migrations, embedded per backend with matching names.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock that serialises migrations when
/// several instances start at once.
const MIGRATION_LOCK: i64 = 0x6b79_6364_6573_6b01;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn migrations_for(conn: &DbConnection) -> EmbeddedMigrations {
    match conn {
        DbConnection::Sqlite(_) => SQLITE,
        DbConnection::Postgres(_) => POSTGRES,
    }
}

/// Applies pending migrations and returns the names of those it applied.
pub fn run(conn: &mut DbConnection) -> Result<Vec<String>, BoxError> {
    let migrations = migrations_for(conn);
    let locked = matches!(conn, DbConnection::Postgres(_));
    if locked {
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
    }
    let applied =
        conn.run_pending_migrations(migrations).map(|versions| versions.iter().map(|v| v.to_string()).collect());
    if locked {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
    }
    applied
}

/// Whether every embedded migration has been applied.
pub fn is_current(conn: &mut DbConnection) -> Result<bool, BoxError> {
    let migrations = migrations_for(conn);
    Ok(!conn.has_pending_migration(migrations)?)
}
