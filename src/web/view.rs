//! Rendering pages inside the shared layout.

use axum::response::Html;
use serde::Serialize;

use super::AppState;
use super::error::AppResult;
use super::session::{Flash, Session};

/// What every page's layout needs.
#[derive(Serialize)]
pub struct Layout {
    /// Present once the visitor has a session; pages with forms make sure of it.
    pub csrf_token: Option<String>,
    pub flashes: Vec<Flash>,
    pub signed_in: bool,
}

#[derive(Serialize)]
struct View<'a, T: Serialize> {
    layout: Layout,
    page: &'a T,
}

/// Renders `template` with `page` as `page` and the session's layout data
/// (CSRF token, flash messages) as `layout`. A page without a form starts no
/// session, so anonymous browsing writes nothing.
pub fn render<T: Serialize>(state: &AppState, session: &Session, template: &str, page: &T) -> AppResult<Html<String>> {
    let layout = Layout {
        csrf_token: session.existing_csrf_token(),
        flashes: session.take_flashes(),
        signed_in: session.subject().is_some(),
    };
    Ok(Html(state.templates.render(template, &View { layout, page })?))
}

/// Like [`render`], for pages with a form: starts a session if needed so the
/// form can carry a CSRF token.
pub fn render_form<T: Serialize>(
    state: &AppState,
    session: &Session,
    template: &str,
    page: &T,
) -> AppResult<Html<String>> {
    session.csrf_token();
    render(state, session, template, page)
}
