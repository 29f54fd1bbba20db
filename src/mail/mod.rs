//! Email: composed from a folder of templates, queued in the outbox inside
//! the transaction of the change that causes it, delivered by a worker.

pub mod delivery;
pub mod outbox;
mod transport;

use lettre::Address;
use lettre::message::Mailbox;
use serde::Serialize;

use crate::templates::Templates;

pub use transport::Transport;

/// Who an email goes to. The display name is user-supplied and only ever
/// reaches the message through lettre's header encoding.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub address: Address,
    pub name: Option<String>,
}

/// A rendered email, ready for the outbox.
#[derive(Clone, Debug)]
pub struct Email {
    pub template: &'static str,
    pub to: Recipient,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
    /// Carries a secret (a one-time link): its bodies are erased once it has
    /// been delivered or given up on.
    pub sensitive: bool,
}

#[derive(Clone)]
pub struct Mailer {
    templates: Templates,
    from: Mailbox,
}

impl Mailer {
    pub fn new(templates: Templates, from: Mailbox) -> Mailer {
        Mailer { templates, from }
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Renders `templates/email/<template>/{subject.txt, body.txt, body.html}`.
    pub fn compose(
        &self,
        template: &'static str,
        to: Recipient,
        context: &impl Serialize,
        sensitive: bool,
    ) -> Result<Email, minijinja::Error> {
        let render = |part: &str| self.templates.render(&format!("email/{template}/{part}"), context);
        Ok(Email {
            template,
            to,
            subject: single_line(&render("subject.txt")?),
            text: render("body.txt")?,
            html: render("body.html")?,
            message_id: self.new_message_id(),
            sensitive,
        })
    }

    /// A Message-ID fixed when the email is queued, so every delivery attempt
    /// of one email carries the same id and a duplicate after a crash is
    /// recognisable.
    fn new_message_id(&self) -> String {
        let unique = hex::encode(rand::random::<[u8; 16]>());
        format!("<{unique}@{}>", self.from.email.domain())
    }
}

/// Header values are one line: whatever a template or a user-supplied value
/// put in, line breaks and other control characters become spaces.
pub(crate) fn single_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|part| !part.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::single_line;

    #[test]
    fn subjects_lose_line_breaks() {
        assert_eq!(single_line("  Verify\r\nBcc: x@y.z\n"), "Verify Bcc: x@y.z");
    }
}
