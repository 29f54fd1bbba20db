//! Server-side sessions kept in the database, so every instance shares them.
//! The cookie carries 256 random bits; the table keeps only their SHA-256.
//! Customer and staff sessions are separate kinds with separate cookies and
//! timeouts.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use time::PrimitiveDateTime;

use super::AppState;
use super::error::AppError;
use crate::db::schema::sessions;
use crate::db::{self, DbConnection};
use crate::tokens::{hash_token, random_token};

/// A last-seen time younger than this is not written again, so most
/// requests read the session without writing it.
const TOUCH_AFTER: time::Duration = time::Duration::minutes(1);
/// How long a password step stays good for the second factor.
const SECOND_FACTOR_WINDOW: time::Duration = time::Duration::minutes(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Customer,
    Staff,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Customer => "customer",
            SessionKind::Staff => "staff",
        }
    }

    fn cookie_name(self, secure: bool) -> &'static str {
        // The __Host- prefix makes browsers refuse the cookie unless it is
        // Secure, host-only and for Path=/, so a sibling domain cannot plant it.
        match (self, secure) {
            (SessionKind::Customer, true) => "__Host-kycdesk_session",
            (SessionKind::Customer, false) => "kycdesk_session",
            (SessionKind::Staff, true) => "__Host-kycdesk_console",
            (SessionKind::Staff, false) => "kycdesk_console",
        }
    }

    pub fn idle_timeout(self) -> Duration {
        match self {
            SessionKind::Customer => Duration::from_secs(2 * 3600),
            SessionKind::Staff => Duration::from_secs(30 * 60),
        }
    }

    pub fn absolute_timeout(self) -> Duration {
        match self {
            SessionKind::Customer => Duration::from_secs(24 * 3600),
            SessionKind::Staff => Duration::from_secs(12 * 3600),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashLevel {
    Success,
    Info,
    Error,
}

/// A one-time message shown on the next page the visitor sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: FlashLevel,
    pub text: String,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct Row {
    id_hash: String,
    subject_id: Option<i64>,
    csrf_token: String,
    flash: Option<String>,
    created_at: PrimitiveDateTime,
    last_seen_at: PrimitiveDateTime,
    pending_subject_id: Option<i64>,
}

#[derive(Clone, Debug)]
struct Inner {
    kind: SessionKind,
    /// The stored row's id hash, when the request came with a live session.
    stored: Option<String>,
    created_at: PrimitiveDateTime,
    last_seen_at: PrimitiveDateTime,
    subject_id: Option<i64>,
    /// A staff member who gave the right password and still owes the
    /// second factor.
    pending_subject_id: Option<i64>,
    csrf_token: Option<String>,
    flashes: Vec<Flash>,
    changed: bool,
    rotate: bool,
}

/// The current request's session. Cheap to clone; changes are written once
/// the handler has answered.
#[derive(Clone, Debug)]
pub struct Session(Arc<Mutex<Inner>>);

impl Session {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn kind(&self) -> SessionKind {
        self.lock().kind
    }

    /// The signed-in customer's or staff member's id.
    pub fn subject(&self) -> Option<i64> {
        self.lock().subject_id
    }

    /// The token forms carry; a session is started to hold it if needed.
    pub fn csrf_token(&self) -> String {
        let mut inner = self.lock();
        if inner.csrf_token.is_none() {
            inner.csrf_token = Some(random_token());
            inner.changed = true;
        }
        inner.csrf_token.clone().expect("set above")
    }

    pub fn existing_csrf_token(&self) -> Option<String> {
        self.lock().csrf_token.clone()
    }

    pub fn csrf_matches(&self, presented: &str) -> bool {
        match &self.lock().csrf_token {
            Some(expected) => bool::from(expected.as_bytes().ct_eq(presented.as_bytes())),
            None => false,
        }
    }

    /// Signs `subject_id` in under a fresh session id and CSRF token, so an id
    /// or token known before sign-in is worthless after it.
    pub fn sign_in(&self, subject_id: i64) {
        let mut inner = self.lock();
        inner.subject_id = Some(subject_id);
        inner.pending_subject_id = None;
        inner.csrf_token = Some(random_token());
        inner.created_at = db::now();
        inner.rotate = true;
        inner.changed = true;
    }

    /// Starts the second step of a two-step sign-in for `subject_id`, under
    /// a fresh session id.
    pub fn begin_second_factor(&self, subject_id: i64) {
        let mut inner = self.lock();
        inner.subject_id = None;
        inner.pending_subject_id = Some(subject_id);
        inner.csrf_token = Some(random_token());
        inner.created_at = db::now();
        inner.rotate = true;
        inner.changed = true;
    }

    /// Who is between the two steps, if the first was less than
    /// `SECOND_FACTOR_WINDOW` ago.
    pub fn pending_subject(&self) -> Option<i64> {
        let inner = self.lock();
        inner.pending_subject_id.filter(|_| db::now() - inner.created_at < SECOND_FACTOR_WINDOW)
    }

    /// Signs out: the session's row is deleted and the visitor continues
    /// under a fresh anonymous session (which can carry a flash message).
    pub fn sign_out(&self) {
        let mut inner = self.lock();
        inner.subject_id = None;
        inner.pending_subject_id = None;
        inner.csrf_token = Some(random_token());
        inner.created_at = db::now();
        inner.rotate = true;
        inner.changed = true;
    }

    pub fn flash(&self, level: FlashLevel, text: impl Into<String>) {
        let mut inner = self.lock();
        inner.flashes.push(Flash { level, text: text.into() });
        inner.changed = true;
    }

    pub fn take_flashes(&self) -> Vec<Flash> {
        let mut inner = self.lock();
        if !inner.flashes.is_empty() {
            inner.changed = true;
        }
        std::mem::take(&mut inner.flashes)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("route has no session layer")))
    }
}

fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Loads the session of `kind` named by the cookie, if it is still live.
fn load(conn: &mut DbConnection, kind: SessionKind, token: &str) -> QueryResult<Option<Row>> {
    let now = db::now();
    let row: Option<Row> = sessions::table
        .filter(sessions::id_hash.eq(hash_token(token)))
        .filter(sessions::kind.eq(kind.as_str()))
        .filter(sessions::expires_at.gt(now))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|row| now - row.last_seen_at < kind.idle_timeout()))
}

/// Deletes sessions that are past either timeout.
pub fn delete_expired(conn: &mut DbConnection) -> QueryResult<usize> {
    let now = db::now();
    let mut deleted = diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
    for kind in [SessionKind::Customer, SessionKind::Staff] {
        deleted += diesel::delete(
            sessions::table
                .filter(sessions::kind.eq(kind.as_str()))
                .filter(sessions::last_seen_at.le(now - kind.idle_timeout())),
        )
        .execute(conn)?;
    }
    Ok(deleted)
}

/// Ends every session of one customer or staff member.
pub fn end_all_for(conn: &mut DbConnection, kind: SessionKind, subject_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table)
        .filter(sessions::kind.eq(kind.as_str()))
        .filter(sessions::subject_id.eq(subject_id).or(sessions::pending_subject_id.eq(subject_id)))
        .execute(conn)
}

/// Middleware: loads the session before the handler and stores its changes
/// after it.
pub async fn layer(State((state, kind)): State<(AppState, SessionKind)>, mut request: Request, next: Next) -> Response {
    let secure = state.config.is_https();
    let cookie_name = kind.cookie_name(secure);
    let token = read_cookie(request.headers(), cookie_name).map(str::to_string);
    let had_cookie = token.is_some();
    let row = match token {
        Some(token) => match state.db.run(move |conn| load(conn, kind, &token).map_err(AppError::from)).await {
            Ok(row) => row,
            Err(e) => return axum::response::IntoResponse::into_response(e),
        },
        None => None,
    };
    let now = db::now();
    let session = Session(Arc::new(Mutex::new(match row {
        Some(row) => Inner {
            kind,
            stored: Some(row.id_hash),
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            subject_id: row.subject_id,
            pending_subject_id: row.pending_subject_id,
            csrf_token: Some(row.csrf_token),
            flashes: row.flash.and_then(|f| serde_json::from_str(&f).ok()).unwrap_or_default(),
            changed: false,
            rotate: false,
        },
        None => Inner {
            kind,
            stored: None,
            created_at: now,
            last_seen_at: now,
            subject_id: None,
            pending_subject_id: None,
            csrf_token: None,
            flashes: Vec::new(),
            changed: false,
            rotate: false,
        },
    })));
    request.extensions_mut().insert(session.clone());
    let mut response = next.run(request).await;

    let inner = session.lock().clone();
    match save(&state, inner, had_cookie).await {
        Ok(Some(cookie)) => {
            let value = cookie.render(cookie_name, secure);
            match HeaderValue::from_str(&value) {
                Ok(value) => {
                    response.headers_mut().append(SET_COOKIE, value);
                }
                Err(e) => tracing::error!(error = %e, "session cookie is not a valid header"),
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = ?e, "saving the session failed");
            return axum::response::IntoResponse::into_response(e);
        }
    }
    response
}

enum CookieChange {
    Set(String),
    Clear,
}

impl CookieChange {
    fn render(&self, name: &str, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        match self {
            CookieChange::Set(token) => {
                format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
            }
            CookieChange::Clear => {
                format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
            }
        }
    }
}

async fn save(state: &AppState, inner: Inner, had_cookie: bool) -> Result<Option<CookieChange>, AppError> {
    let now = db::now();
    let flash = (!inner.flashes.is_empty()).then(|| serde_json::to_string(&inner.flashes).expect("flashes serialise"));
    if inner.rotate || (inner.stored.is_none() && inner.changed) {
        let token = random_token();
        let id_hash = hash_token(&token);
        let expires_at = inner.created_at + inner.kind.absolute_timeout();
        let csrf = inner.csrf_token.unwrap_or_else(random_token);
        state
            .db
            .write(move |conn| {
                if let Some(old) = inner.stored {
                    diesel::delete(sessions::table.find(old)).execute(conn)?;
                }
                diesel::insert_into(sessions::table)
                    .values((
                        sessions::id_hash.eq(id_hash),
                        sessions::kind.eq(inner.kind.as_str()),
                        sessions::subject_id.eq(inner.subject_id),
                        sessions::pending_subject_id.eq(inner.pending_subject_id),
                        sessions::csrf_token.eq(csrf),
                        sessions::flash.eq(flash),
                        sessions::created_at.eq(inner.created_at),
                        sessions::last_seen_at.eq(now),
                        sessions::expires_at.eq(expires_at),
                    ))
                    .execute(conn)
                    .map_err(AppError::from)
            })
            .await?;
        return Ok(Some(CookieChange::Set(token)));
    }
    match inner.stored {
        Some(stored) if inner.changed || now - inner.last_seen_at >= TOUCH_AFTER => {
            state
                .db
                .run(move |conn| {
                    diesel::update(sessions::table.find(stored))
                        .set((sessions::flash.eq(flash), sessions::last_seen_at.eq(now)))
                        .execute(conn)
                        .map_err(AppError::from)
                })
                .await?;
            Ok(None)
        }
        Some(_) => Ok(None),
        // A cookie that named no live session is cleared.
        None => Ok(had_cookie.then_some(CookieChange::Clear)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("kycdesk_session_x=1; kycdesk_session=abc; other=2"));
        assert_eq!(read_cookie(&headers, "kycdesk_session"), Some("abc"));
        assert_eq!(read_cookie(&headers, "kycdesk_console"), None);
    }
}
