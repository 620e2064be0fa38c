-- The audit trail's actor holds any subject the product takes: 1 to 255 characters (OpenID Connect Core 1.0 §2 caps
-- "sub" at 255 ASCII characters; ReadinessCaller.MaxSubjectLength). VARCHAR(200) refused a longer one with 22001 on
-- every write of that person, a 503 where SQLite (which ignores declared lengths) accepted it. Widening a varchar is a
-- catalog change in PostgreSQL: no table rewrite, and the append-only trigger (BEFORE UPDATE) does not fire.
-- Idempotent: safe to apply again.
ALTER TABLE readiness_audit ALTER COLUMN actor_subject TYPE VARCHAR(255);
