-- The audit trail loses its index by request (municipality_code, request_id): it added one entry on a page of its own to
-- every audit row, a single change's largest write after its state (issue 14, eleventh round). Looking up one request's
-- rows (a replayed report's answer, each reporting-template preview and upload) is far less frequent than changes: it
-- reads that municipality's rows through the primary key (municipality_code, version, target) instead.
DROP INDEX IF EXISTS ix_readiness_audit_request;
