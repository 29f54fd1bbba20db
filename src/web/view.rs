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

/// What console pages add to the layout: who is signed in and the sections
/// they may open.
#[derive(Serialize)]
pub struct Console<'a> {
    pub name: &'a str,
    pub nav: &'a [crate::web::console::ConsoleNav],
}

#[derive(Serialize)]
struct View<'a, T: Serialize> {
    layout: Layout,
    page: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    console: Option<&'a Console<'a>>,
}

/// Renders `template` with `page` as `page` and the session's layout data
/// (CSRF token, flash messages) as `layout`. A page without a form starts no
/// session, so anonymous browsing writes nothing.
pub fn render<T: Serialize>(state: &AppState, session: &Session, template: &str, page: &T) -> AppResult<Html<String>> {
    render_with(state, session, None, template, page)
}

/// Renders a console page: the layout shows the console's navigation.
pub fn render_console<T: Serialize>(
    state: &AppState,
    session: &Session,
    console: &Console<'_>,
    template: &str,
    page: &T,
) -> AppResult<Html<String>> {
    session.csrf_token();
    render_with(state, session, Some(console), template, page)
}

fn render_with<T: Serialize>(
    state: &AppState,
    session: &Session,
    console: Option<&Console<'_>>,
    template: &str,
    page: &T,
) -> AppResult<Html<String>> {
    let layout = Layout {
        csrf_token: session.existing_csrf_token(),
        flashes: session.take_flashes(),
        signed_in: session.subject().is_some(),
    };
    Ok(Html(state.templates.render(template, &View { layout, page, console })?))
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

/// A stored time as the console shows it, e.g. `03 Dec 2026 21:34 UTC`.
pub fn timestamp(t: time::PrimitiveDateTime) -> String {
    let format = time::macros::format_description!("[day] [month repr:short] [year] [hour]:[minute] UTC");
    t.format(&format).unwrap_or_default()
}

/// A stored date as pages show it, e.g. `03 Dec 2026`.
pub fn date(t: time::PrimitiveDateTime) -> String {
    let format = time::macros::format_description!("[day] [month repr:short] [year]");
    t.format(&format).unwrap_or_default()
}

/// A file size for people: `512 bytes`, `14 KB`, `2.5 MB`.
pub fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} bytes"),
    }
}
