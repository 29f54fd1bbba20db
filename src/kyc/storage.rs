//! Where document files live: behind `object_store`, a local directory now
//! and an S3-compatible bucket with the same code later. Keys are random;
//! a client's filename never becomes a path.

use std::sync::Arc;

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
        Ok(DocumentStore { store: Arc::new(store) })
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
}
