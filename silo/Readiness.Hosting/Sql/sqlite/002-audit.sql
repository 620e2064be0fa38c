-- The audit trail (embedded mode): one row per accepted change of one target, written by the municipality grain
-- before it writes its state. Append-only: no UPDATE is possible (trigger). The only DELETE the product issues
-- removes rows ABOVE a municipality's stored version, i.e. entries of a write that never completed and was never
-- acknowledged or shown; readers only return rows with version <= the municipality's current version.

CREATE TABLE IF NOT EXISTS readiness_audit
(
    municipality_code TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    target            TEXT    NOT NULL,
    at_utc            TEXT    NOT NULL, -- ISO 8601, UTC
    actor_subject     TEXT    NOT NULL,
    actor_role        TEXT    NOT NULL,
    actor_tenant      TEXT    NULL,
    request_id        TEXT    NOT NULL,
    before_value      TEXT    NULL,
    after_value       TEXT    NULL,
    client_address    TEXT    NULL,
    recorded_at_utc   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (municipality_code, version, target)
);

CREATE INDEX IF NOT EXISTS ix_readiness_audit_request ON readiness_audit (municipality_code, request_id);

CREATE TRIGGER IF NOT EXISTS readiness_audit_append_only
BEFORE UPDATE ON readiness_audit
BEGIN
    SELECT RAISE(ABORT, 'readiness_audit is append-only');
END;
