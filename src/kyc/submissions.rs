//! KYC submissions.
