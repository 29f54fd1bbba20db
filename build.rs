// Release builds carry their templates inside the binary; development builds
// read them from templates/ and reload them on change (see src/templates.rs).
fn main() {
    if std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_none() {
        minijinja_embed::embed_templates!("templates", &[".html", ".txt"][..]);
    }
}
