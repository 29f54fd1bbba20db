//! The minijinja environment shared by pages and emails: strict about
//! undefined values, HTML-escaping `.html` templates, read from the crate's
//! `templates/` folder (reloaded on change) in development and embedded in
//! release builds.

use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        load(&mut env);
        Templates { env: Arc::new(env) }
    }

    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(minijinja::value::Serde(context))
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

#[cfg(debug_assertions)]
fn load(env: &mut Environment<'static>) {
    env.set_loader(minijinja::path_loader(concat!(env!("CARGO_MANIFEST_DIR"), "/templates")));
    env.set_auto_reload(true);
}

#[cfg(not(debug_assertions))]
fn load(env: &mut Environment<'static>) {
    minijinja_embed::load_templates!(*env);
}
