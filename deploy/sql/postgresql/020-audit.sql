-- The audit trail (cluster mode): one row per accepted change of one target, written by the municipality grain
-- before it writes its state. Append-only: no UPDATE is possible (trigger). The only DELETE the product issues
-- removes rows ABOVE a municipality's stored version, i.e. entries of a write that never completed and was never
-- acknowledged or shown; readers only return rows with version <= the municipality's current version.
-- Idempotent: safe to apply again.

CREATE TABLE IF NOT EXISTS readiness_audit
(
    municipality_code VARCHAR(6)   NOT NULL,
    version           BIGINT       NOT NULL,
    target            VARCHAR(100) NOT NULL,
    at_utc            TIMESTAMPTZ  NOT NULL,
    actor_subject     VARCHAR(200) NOT NULL,
    actor_role        VARCHAR(20)  NOT NULL,
    actor_tenant      VARCHAR(20)  NULL,
    request_id        VARCHAR(200) NOT NULL,
    before_value      TEXT         NULL,
    after_value       TEXT         NULL,
    client_address    VARCHAR(100) NULL,
    recorded_at_utc   TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, version, target)
);

CREATE INDEX IF NOT EXISTS ix_readiness_audit_request ON readiness_audit (municipality_code, request_id);

CREATE OR REPLACE FUNCTION readiness_audit_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'readiness_audit is append-only';
END;
$$;

DROP TRIGGER IF EXISTS readiness_audit_append_only ON readiness_audit;
CREATE TRIGGER readiness_audit_append_only
BEFORE UPDATE ON readiness_audit
FOR EACH ROW EXECUTE FUNCTION readiness_audit_refuse_update();
