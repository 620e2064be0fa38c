-- The audit trail stores each side of a change as fields: a JSON object (field -> string, boolean or null), so that no
-- value can pose as another field (a vendor "A; phase=in_production" stays one vendor). Rows written before keep their
-- "key=value; ..." text in before_value/after_value (the table is append-only: they are not rewritten) and are served
-- as legacy text; new rows leave those two columns NULL.

ALTER TABLE readiness_audit ADD COLUMN before_fields TEXT NULL CHECK (before_fields IS NULL OR json_valid(before_fields));
ALTER TABLE readiness_audit ADD COLUMN after_fields  TEXT NULL CHECK (after_fields IS NULL OR json_valid(after_fields));
