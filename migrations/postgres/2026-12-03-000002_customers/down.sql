DROP TABLE captcha_spent;
DROP TABLE support_requests;
DROP TABLE phone_otps;
DROP TABLE login_attempts;
DROP TABLE email_tokens;
DROP TABLE customers;
