//! Know-your-customer: entity types and their documents, uploads, and the
//! submission a reviewer decides.

pub mod entity_types;
pub mod review;
pub mod storage;
pub mod submissions;
pub mod upload;

use serde::Serialize;

pub use entity_types::{EntityType, EntityTypes};

/// The document formats kycdesk accepts, decided by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Pdf, FileKind::Jpeg, FileKind::Png];

    pub fn parse(raw: &str) -> Option<FileKind> {
        match raw {
            "pdf" => Some(FileKind::Pdf),
            "jpeg" => Some(FileKind::Jpeg),
            "png" => Some(FileKind::Png),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }

    pub fn from_mime(mime: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.mime() == mime)
    }

    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Jpeg => "JPEG",
            FileKind::Png => "PNG",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Png => &["png"],
        }
    }
}

/// Where a submission is in review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KycStatus {
    Draft,
    Submitted,
    InReview,
    ChangesRequested,
    Approved,
    Rejected,
}

impl KycStatus {
    pub const ALL: [KycStatus; 6] = [
        KycStatus::Draft,
        KycStatus::Submitted,
        KycStatus::InReview,
        KycStatus::ChangesRequested,
        KycStatus::Approved,
        KycStatus::Rejected,
    ];

    pub fn parse(raw: &str) -> Option<KycStatus> {
        KycStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KycStatus::Draft => "draft",
            KycStatus::Submitted => "submitted",
            KycStatus::InReview => "in_review",
            KycStatus::ChangesRequested => "changes_requested",
            KycStatus::Approved => "approved",
            KycStatus::Rejected => "rejected",
        }
    }

    /// How the console names the status.
    pub fn label(self) -> &'static str {
        match self {
            KycStatus::Draft => "Draft",
            KycStatus::Submitted => "Submitted",
            KycStatus::InReview => "In review",
            KycStatus::ChangesRequested => "Changes requested",
            KycStatus::Approved => "Approved",
            KycStatus::Rejected => "Rejected",
        }
    }

    /// Whether the customer may add or remove documents.
    pub fn is_editable(self) -> bool {
        matches!(self, KycStatus::Draft | KycStatus::ChangesRequested)
    }

    /// The statuses a customer's submission may move to from this one.
    pub fn customer_can_submit(self) -> bool {
        self.is_editable()
    }
}
