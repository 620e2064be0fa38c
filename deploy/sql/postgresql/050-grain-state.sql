-- Grain state written in groups by GroupCommitGrainStorage (many grains' writes in one transaction per silo).
-- One row per (service, grain, state name); version is the ETag: a write applies only when the stored version equals
-- the writer's (optimistic concurrency, safe with several silos writing at once), and a new row only when none exists.
-- payload is the state as the silos' grain-storage serializer wrote it (System.Text.Json: readable JSON text); NULL
-- after ClearStateAsync. States written before this table existed stay in orleans_grain_state and are read from there
-- until first rewritten.
CREATE TABLE IF NOT EXISTS readiness_grain_state
(
    service_id      varchar(150) NOT NULL,
    grain_id        text         NOT NULL,
    state_name      varchar(150) NOT NULL,
    payload         text         NULL,
    version         bigint       NOT NULL,
    modified_at_utc timestamptz  NOT NULL,
    PRIMARY KEY (service_id, grain_id, state_name)
);
