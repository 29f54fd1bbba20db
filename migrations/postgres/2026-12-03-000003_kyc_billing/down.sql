DROP TABLE billing_details;
DROP TABLE kyc_events;
DROP TABLE kyc_change_requests;
DROP TABLE kyc_documents;
DROP TABLE kyc_submissions;
