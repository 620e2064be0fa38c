-- Recent changes across a prefecture (GET /api/v1/prefectures/{prefCode}/changes, the prefecture page): the audit rows
-- whose municipality code starts with the 2-digit prefecture code, newest recorded first (position, 040-notifications.sql).
-- One page is one range of this index read backwards, however long the prefecture's trail. The nation's changes use
-- ix_readiness_audit_position. The expression must be written exactly so in a query for PostgreSQL to use the index.
-- Building it takes a lock that holds writes to the audit trail (and so every change) for the build's time: on a large
-- trail, create it beforehand with CREATE INDEX CONCURRENTLY under this name; this script then finds it.
-- Idempotent: safe to apply again.
CREATE INDEX IF NOT EXISTS ix_readiness_audit_prefecture ON readiness_audit (substr(municipality_code, 1, 2), position);
