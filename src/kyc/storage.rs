//! Where document files live: behind `object_store`, a local directory now
//! and an S3-compatible bucket with the same code later. Keys are random;
//! a client's filename never becomes a path.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

/// Uploads are written in parts of this size, so memory per upload stays small.
const PART_SIZE: usize = 512 * 1024;

#[derive(Clone)]
pub struct DocumentStore {
    store: Arc<dyn ObjectStore>,
    /// The directory of the local store. A process that dies mid-upload
    /// leaves its staging file (`<key>#<n>`) there, which listing does not
    /// show; an S3 bucket's lifecycle rule does the same job for
    /// abandoned multipart uploads.
    local_dir: Option<PathBuf>,
}

/// A file being written; it becomes visible under its key only on `finish`.
pub struct Writing {
    pub key: String,
    writer: WriteMultipart,
}

impl Writing {
    pub async fn write(&mut self, chunk: &[u8]) -> object_store::Result<()> {
        self.writer.wait_for_capacity(2).await?;
        self.writer.write(chunk);
        Ok(())
    }

    pub async fn finish(self) -> object_store::Result<()> {
        self.writer.finish().await.map(drop)
    }

    pub async fn abort(self) -> object_store::Result<()> {
        self.writer.abort().await
    }
}

impl DocumentStore {
    pub fn local(dir: &std::path::Path) -> anyhow::Result<DocumentStore> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
        Ok(DocumentStore { store: Arc::new(store), local_dir: Some(dir.to_path_buf()) })
    }

    pub async fn begin(&self) -> object_store::Result<Writing> {
        let key = hex::encode(rand::random::<[u8; 16]>());
        let upload = self.store.put_multipart(&Path::from(key.as_str())).await?;
        Ok(Writing { key, writer: WriteMultipart::new_with_chunk_size(upload, PART_SIZE) })
    }

    pub async fn read(&self, key: &str) -> object_store::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        Ok(self.store.get(&Path::from(key)).await?.into_stream())
    }

    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        self.store.delete(&Path::from(key)).await
    }

    /// Keys of files last written before `before`.
    pub async fn keys_older_than(&self, before: chrono::DateTime<chrono::Utc>) -> object_store::Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut listing = self.store.list(None);
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            if meta.last_modified < before {
                keys.push(meta.location.to_string());
            }
        }
        Ok(keys)
    }

    /// Removes staging files of uploads abandoned before `before` (by a
    /// crash; a failed upload removes its own). Returns how many went.
    pub async fn remove_abandoned_uploads(&self, before: SystemTime) -> std::io::Result<usize> {
        let Some(dir) = &self.local_dir else { return Ok(0) };
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let staging = entry.file_name().to_string_lossy().contains('#');
            if staging && entry.metadata().await?.modified()? < before {
                tokio::fs::remove_file(entry.path()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
