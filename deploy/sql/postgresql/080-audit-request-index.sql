-- The audit trail loses its index by request (municipality_code, request_id): it added one entry to every audit row
-- written (issue 14, eleventh round). Looking up one request's rows (a replayed report's answer, each reporting-template
-- preview and upload) is far less frequent than changes: it reads that municipality's rows through the primary key
-- (municipality_code, version, target).
-- Idempotent: safe to apply again.
DROP INDEX IF EXISTS ix_readiness_audit_request;
