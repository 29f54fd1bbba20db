//! Text messages. The embedded default writes each message to a file under
//! `<data>/outbox/sms/`; a provider plugs in behind `SmsSender`.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use crate::domain::Phone;

pub type SmsFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> SmsFuture<'a, ()>;

    /// The newest `limit` messages this sender keeps a copy of, newest
    /// first, for the console's outbox. A provider keeps its own log and
    /// returns none here.
    fn recent(&self, limit: usize) -> SmsFuture<'_, Vec<SentSms>>;
}

/// A text message as kept by the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentSms {
    pub sent_at: time::OffsetDateTime,
    pub to: String,
    pub text: String,
}

/// Writes each message as `<unix nanos>-<random>.txt` holding a `To:` line, a
/// blank line and the text.
pub struct FileSms {
    dir: PathBuf,
}

impl FileSms {
    pub fn new(dir: PathBuf) -> std::io::Result<FileSms> {
        std::fs::create_dir_all(&dir)?;
        Ok(FileSms { dir })
    }
}

impl SmsSender for FileSms {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> SmsFuture<'a, ()> {
        Box::pin(async move {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
            let name = format!("{stamp}-{}.txt", hex::encode(rand::random::<[u8; 4]>()));
            let path = self.dir.join(name);
            tokio::fs::write(&path, format!("To: {}\n\n{text}\n", to.e164())).await?;
            Ok(())
        })
    }

    fn recent(&self, limit: usize) -> SmsFuture<'_, Vec<SentSms>> {
        Box::pin(async move {
            let mut files = Vec::new();
            let mut entries = tokio::fs::read_dir(&self.dir).await?;
            while let Some(entry) = entries.next_entry().await? {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(stamp) = name.split('-').next().and_then(|s| s.parse::<i128>().ok()) {
                    files.push((stamp, entry.path()));
                }
            }
            files.sort_unstable_by_key(|file| std::cmp::Reverse(file.0));
            let mut messages = Vec::new();
            for (stamp, path) in files.into_iter().take(limit) {
                let content = tokio::fs::read_to_string(&path).await?;
                let Some((to, text)) = content.split_once("\n\n") else { continue };
                messages.push(SentSms {
                    sent_at: time::OffsetDateTime::from_unix_timestamp_nanos(stamp)?,
                    to: to.trim_start_matches("To: ").to_string(),
                    text: text.trim_end().to_string(),
                });
            }
            Ok(messages)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn kept_messages_come_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let sms = FileSms::new(dir.path().to_path_buf()).unwrap();
        let phone = Phone::parse("+91 98765 43210", crate::domain::PhoneType::Mobile).unwrap();
        sms.send(&phone, "first").await.unwrap();
        sms.send(&phone, "second").await.unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a message").unwrap();
        let kept = sms.recent(10).await.unwrap();
        assert_eq!(kept.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["second", "first"]);
        assert_eq!(kept[0].to, "+919876543210");
        assert_eq!(sms.recent(1).await.unwrap().len(), 1);
    }
}
