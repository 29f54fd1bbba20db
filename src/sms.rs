//! Text messages. The embedded default writes each message to a file under
//! `<data>/outbox/sms/`; a provider plugs in behind `SmsSender`.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use crate::domain::Phone;

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> SendFuture<'a>;
}

/// Writes each message as `<time>-<random>.txt` holding a `To:` line, a blank
/// line and the text.
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
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
            let name = format!("{stamp}-{}.txt", hex::encode(rand::random::<[u8; 4]>()));
            let path = self.dir.join(name);
            tokio::fs::write(&path, format!("To: {}\n\n{text}\n", to.e164())).await?;
            Ok(())
        })
    }
}
