-- One row that readiness rewrites to prove the database takes writes (disk full, read-only file system, a lock held
-- elsewhere all make this fail, while reads still work).
CREATE TABLE IF NOT EXISTS readiness_health_probe
(
    id            INTEGER NOT NULL PRIMARY KEY,
    probed_at_utc TEXT    NOT NULL
);
INSERT OR IGNORE INTO readiness_health_probe (id, probed_at_utc) VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
