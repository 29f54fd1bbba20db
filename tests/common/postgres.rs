//! A fresh PostgreSQL database per test, dropped when the test ends.

use diesel::{Connection, PgConnection, RunQueryDsl};

pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    pub async fn create(admin_url: &str) -> TestDatabase {
        let name = format!("kycdesk_test_{:016x}", rand::random::<u64>());
        let mut url = url::Url::parse(admin_url).expect("KYCDESK_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let admin_url = admin_url.to_string();
        let (admin, db) = (admin_url.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&admin).expect("connect to KYCDESK_TEST_POSTGRES_URL");
            diesel::sql_query(format!("CREATE DATABASE {db}")).execute(&mut conn).expect("create test database");
        })
        .await
        .expect("create task");
        TestDatabase { url: url.to_string(), admin_url, name }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Dropped from inside the test's runtime: do the blocking work on a
        // plain thread and wait for it.
        let done = std::thread::spawn(move || {
            if let Ok(mut conn) = PgConnection::establish(&admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
            }
        });
        let _ = done.join();
    }
}
