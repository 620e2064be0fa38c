-- The audit trail stores each side of a change as fields: a JSON object (field -> string, boolean or null), so that no
-- value can pose as another field (a vendor "A; phase=in_production" stays one vendor). json, not jsonb: the field
-- order is kept as written. Rows written before keep their "key=value; ..." text in before_value/after_value (the
-- table is append-only: they are not rewritten) and are served as legacy text; new rows leave those columns NULL.
-- Idempotent: safe to apply again.

ALTER TABLE readiness_audit ADD COLUMN IF NOT EXISTS before_fields json NULL;
ALTER TABLE readiness_audit ADD COLUMN IF NOT EXISTS after_fields  json NULL;
