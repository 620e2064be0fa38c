-- Grain state written in groups by GroupCommitGrainStorage (many grains' writes in one transaction, one fsync).
-- One row per (service, grain, state name); version is the ETag: a write applies only when the stored version equals
-- the writer's (optimistic concurrency), and a new row only when none exists. payload is the state as the silo's
-- grain-storage serializer wrote it (System.Text.Json: readable UTF-8 JSON); NULL after ClearStateAsync.
-- States written before this table existed stay in OrleansStorage and are read from there until first rewritten.
CREATE TABLE IF NOT EXISTS readiness_grain_state
(
    service_id      TEXT    NOT NULL,
    grain_id        TEXT    NOT NULL,
    state_name      TEXT    NOT NULL,
    payload         TEXT    NULL,
    version         INTEGER NOT NULL,
    modified_at_utc TEXT    NOT NULL,
    PRIMARY KEY (service_id, grain_id, state_name)
);
