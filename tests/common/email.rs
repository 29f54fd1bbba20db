//! An email as the SMTP listener received it, parsed.

use mail_parser::MessageParser;

#[derive(Clone, Debug)]
pub struct ReceivedEmail {
    pub raw: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: Option<String>,
    /// Header names in the order they appear, lower-cased.
    pub header_names: Vec<String>,
}

impl ReceivedEmail {
    pub fn parse(raw: &str) -> ReceivedEmail {
        let message = MessageParser::default().parse(raw.as_bytes()).expect("a parseable email");
        ReceivedEmail {
            raw: raw.to_string(),
            subject: message.subject().unwrap_or_default().to_string(),
            text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: message.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            message_id: message.message_id().map(str::to_string),
            header_names: message.headers().iter().map(|h| h.name().to_ascii_lowercase()).collect(),
        }
    }

    /// The first link in the text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with(prefix))
            .map(|word| word.trim_end_matches(['.', ',', ')', '>']).to_string())
            .unwrap_or_else(|| panic!("no link starting with {prefix} in:\n{}", self.text))
    }
}
