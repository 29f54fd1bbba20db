//! Where a request came from, for the audit log.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;

use super::AppState;
use crate::audit::Origin;

/// The longest user agent kept in the audit log.
const USER_AGENT_LIMIT: usize = 512;

/// The client's address and user agent. The address is the connection's
/// peer, or behind our own reverse proxy (`KYCDESK_TRUST_FORWARDED_FOR`) the
/// last `X-Forwarded-For` entry, the one that proxy added.
pub struct Client(pub Origin);

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .config
            .trust_forwarded_for
            .then(|| parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back())
            .flatten()
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        let ip = forwarded.or(peer).map(|ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(USER_AGENT_LIMIT).collect());
        Ok(Client(Origin { ip, user_agent }))
    }
}
