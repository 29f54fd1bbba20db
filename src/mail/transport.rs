//! How messages leave: `.eml` files in a directory, or an SMTP relay.

use std::path::Path;
use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::MailTransport;

#[derive(Clone)]
pub enum Transport {
    Files(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Why a message was not delivered, and whether trying again can help.
#[derive(Debug)]
pub struct SendFailure {
    pub permanent: bool,
    pub message: String,
}

impl Transport {
    pub fn new(setting: &MailTransport) -> anyhow::Result<Transport> {
        Ok(match setting {
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir)?;
                Transport::Files(AsyncFileTransport::new(Path::new(dir)))
            }
            MailTransport::Smtp(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
        })
    }

    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Transport::Files(files) => files
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendFailure { permanent: false, message: format!("writing the .eml file failed: {e}") }),
            // Only a 5xx answer is final; 4xx answers, refused connections and
            // time-outs are worth another try.
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendFailure { permanent: e.is_permanent(), message: e.to_string() }),
        }
    }
}
