//! Receiving one document: streamed to storage with a running size limit,
//! hashed on the way, and judged by its content before it is kept.

use sha2::{Digest, Sha256};

use super::FileKind;
use super::storage::{DocumentStore, Writing};

/// How much of the start and end of a file is kept to judge its content.
const HEAD: usize = 4096;
const TAIL: usize = 1024;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("The file is larger than {0} MB.")]
    TooLarge(u64),
    #[error("The file is empty.")]
    Empty,
    #[error("Only PDF, JPEG and PNG files are accepted.")]
    NotAccepted,
    #[error("This document must be a {0}.")]
    WrongKind(&'static str),
    #[error("The file's contents do not match its type.")]
    Mismatch,
    #[error("The file is damaged or contains something besides the document.")]
    Malformed,
}

/// A file that passed every check and is stored under `key`.
#[derive(Clone, Debug)]
pub struct Stored {
    pub key: String,
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
}

pub struct Upload {
    writing: Writing,
    limit: u64,
    size: u64,
    hasher: Sha256,
    head: Vec<u8>,
    tail: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Storage(#[from] object_store::Error),
}

impl Upload {
    pub async fn begin(store: &DocumentStore, limit: u64) -> Result<Upload, UploadError> {
        Ok(Upload {
            writing: store.begin().await?,
            limit,
            size: 0,
            hasher: Sha256::new(),
            head: Vec::new(),
            tail: Vec::new(),
        })
    }

    /// Adds a chunk; past the limit the upload is abandoned at once.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), Refusal> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(Refusal::TooLarge(self.limit / (1024 * 1024)));
        }
        self.hasher.update(chunk);
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL)..]);
        let excess = self.tail.len().saturating_sub(TAIL);
        self.tail.drain(..excess);
        self.writing.write(chunk).await.map_err(|e| {
            tracing::error!(error = %e, "writing an upload failed");
            Refusal::Malformed
        })
    }

    /// Judges the whole file; keeps it only if it is an accepted document.
    pub async fn finish(
        self,
        accepted: &[FileKind],
        claimed_type: Option<&str>,
        filename: &str,
    ) -> Result<Stored, UploadError> {
        match inspect(&self.head, &self.tail, self.size, accepted, claimed_type, filename) {
            Ok(kind) => {
                let key = self.writing.key.clone();
                self.writing.finish().await?;
                Ok(Stored { key, sha256: hex::encode(self.hasher.finalize()), size: self.size, kind })
            }
            Err(refusal) => {
                self.abort().await;
                Err(UploadError::Refused(refusal))
            }
        }
    }

    pub async fn abort(self) {
        if let Err(e) = self.writing.abort().await {
            tracing::warn!(error = %e, "abandoning an upload left a partial file; the sweeper will remove it");
        }
    }
}

/// Decides what a file is from its first and last bytes: its magic number,
/// its proper ending (so nothing rides along after it), no markup a browser
/// could run, and agreement with the type and extension it was sent with.
pub fn inspect(
    head: &[u8],
    tail: &[u8],
    size: u64,
    accepted: &[FileKind],
    claimed_type: Option<&str>,
    filename: &str,
) -> Result<FileKind, Refusal> {
    if size == 0 {
        return Err(Refusal::Empty);
    }
    let kind = infer::get(head).and_then(|t| FileKind::from_mime(t.mime_type())).ok_or(Refusal::NotAccepted)?;
    let start = String::from_utf8_lossy(&head[..head.len().min(1024)]).to_ascii_lowercase();
    if ["<html", "<script", "<svg", "<body", "<iframe", "<!doctype"].iter().any(|tag| start.contains(tag)) {
        return Err(Refusal::Malformed);
    }
    let well_ended = match kind {
        FileKind::Pdf => tail.windows(5).any(|w| w == b"%%EOF"),
        FileKind::Jpeg => {
            let end = tail.iter().rposition(|&b| b != 0).map_or(&tail[..0], |i| &tail[..=i]);
            end.ends_with(&[0xFF, 0xD9])
        }
        FileKind::Png => tail.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]),
    };
    if !well_ended {
        return Err(Refusal::Malformed);
    }
    if let Some(claimed) = claimed_type.and_then(FileKind::from_mime)
        && claimed != kind
    {
        return Err(Refusal::Mismatch);
    }
    let extension = filename.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    if let Some(ext) = extension
        && FileKind::ALL.iter().any(|k| k.extensions().contains(&ext.as_str()))
        && !kind.extensions().contains(&ext.as_str())
    {
        return Err(Refusal::Mismatch);
    }
    if !accepted.contains(&kind) {
        let names: Vec<&str> = accepted.iter().map(|k| k.label()).collect();
        return Err(Refusal::WrongKind(if names.len() == 1 { names[0] } else { "PDF, JPEG or PNG file" }));
    }
    Ok(kind)
}

#[cfg(test)]
pub mod samples {
    //! Small well-formed files of each kind, for tests.

    pub fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
    }

    pub fn jpeg() -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01];
        bytes.extend_from_slice(&[0u8; 64]);
        bytes.extend_from_slice(&[0xFF, 0xD9]);
        bytes
    }

    pub fn png() -> Vec<u8> {
        let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R'];
        bytes.extend_from_slice(&[0u8; 17]);
        bytes.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(bytes: &[u8], claimed: Option<&str>, name: &str) -> Result<FileKind, Refusal> {
        let tail = &bytes[bytes.len().saturating_sub(TAIL)..];
        inspect(&bytes[..bytes.len().min(HEAD)], tail, bytes.len() as u64, &FileKind::ALL, claimed, name)
    }

    #[test]
    fn real_documents_pass() {
        assert_eq!(judge(&samples::pdf(), Some("application/pdf"), "pan.pdf"), Ok(FileKind::Pdf));
        assert_eq!(judge(&samples::jpeg(), Some("image/jpeg"), "photo.JPG"), Ok(FileKind::Jpeg));
        assert_eq!(judge(&samples::png(), None, "scan"), Ok(FileKind::Png));
        assert_eq!(judge(&samples::pdf(), Some("application/octet-stream"), "pan.pdf"), Ok(FileKind::Pdf));
    }

    #[test]
    fn impostors_are_refused() {
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
        assert_eq!(judge(&html, Some("application/pdf"), "pan.pdf"), Err(Refusal::NotAccepted));
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
        assert_eq!(judge(&svg, Some("image/svg+xml"), "logo.svg"), Err(Refusal::NotAccepted));
        let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest of zip".to_vec();
        assert_eq!(judge(&zip, None, "docs.zip"), Err(Refusal::NotAccepted));
        let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        assert_eq!(judge(&elf, None, "tool"), Err(Refusal::NotAccepted));
        assert_eq!(judge(b"", None, "empty.pdf"), Err(Refusal::Empty));
    }

    #[test]
    fn polyglots_and_mismatches_are_refused() {
        let mut jpeg_zip = samples::jpeg();
        jpeg_zip.extend_from_slice(b"PK\x03\x04 hidden archive");
        assert_eq!(judge(&jpeg_zip, None, "photo.jpg"), Err(Refusal::Malformed));
        let mut pdf_html = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n".to_vec();
        pdf_html.extend_from_slice(b"%%EOF\n");
        assert_eq!(judge(&pdf_html, None, "pan.pdf"), Err(Refusal::Malformed));
        let truncated = &samples::png()[..20];
        assert_eq!(judge(truncated, None, "scan.png"), Err(Refusal::Malformed));
        assert_eq!(judge(&samples::png(), Some("application/pdf"), "scan.pdf"), Err(Refusal::Mismatch));
        assert_eq!(judge(&samples::png(), None, "scan.pdf"), Err(Refusal::Mismatch));
        let only_pdf = inspect(&samples::png(), &samples::png(), 45, &[FileKind::Pdf], None, "x");
        assert_eq!(only_pdf, Err(Refusal::WrongKind("PDF")));
    }
}
