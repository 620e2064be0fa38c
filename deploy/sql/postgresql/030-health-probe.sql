-- One row that readiness rewrites to prove the database takes writes (a read-only standby, a full disk, a lost
-- primary all make this fail, while reads may still work).
CREATE TABLE IF NOT EXISTS readiness_health_probe
(
    id            integer NOT NULL PRIMARY KEY,
    probed_at_utc text    NOT NULL
);
INSERT INTO readiness_health_probe (id, probed_at_utc) VALUES (1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
ON CONFLICT (id) DO NOTHING;
