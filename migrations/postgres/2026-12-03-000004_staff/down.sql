ALTER TABLE sessions DROP COLUMN pending_subject_id;
DROP INDEX login_attempts_staff;
ALTER TABLE login_attempts DROP COLUMN staff_id;
DROP TABLE staff_invitations;
DROP TABLE staff_recovery_codes;
DROP TABLE staff_roles;
DROP TABLE staff;
