-- A municipality's state (~5.5 KB of JSON) is past PostgreSQL's TOAST threshold (~2 KB), so every write compresses it.
-- With the default method, pglz, that compression was PostgreSQL's largest single function in a profile of the local
-- cluster at 600 changes/s (docs/performance.md, fifth round); lz4 compresses the same JSON several times faster.
-- Only where the server was built with lz4 (Debian's and the official images are): elsewhere nothing changes. Values
-- already stored keep their method until rewritten; readers need nothing, PostgreSQL decompresses either.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE readiness_grain_state ALTER COLUMN payload SET COMPRESSION lz4;
    END IF;
END
$$;
