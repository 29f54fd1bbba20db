//! Where a request came from, for the audit log.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;

use crate::audit::Origin;

/// The longest user agent kept in the audit log.
const USER_AGENT_LIMIT: usize = 512;

/// The client's address (the connection's peer) and user agent.
pub struct Client(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(USER_AGENT_LIMIT).collect());
        Ok(Client(Origin { ip, user_agent }))
    }
}
