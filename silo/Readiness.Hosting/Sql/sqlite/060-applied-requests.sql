-- The requests applied to each municipality (or a prefecture's own systems, by its 6-digit body code): one per version, written
-- by GroupCommitGrainStorage in the same transaction as the grain's state and audit rows. A grain reads its newest 256
-- when it activates, to answer a retried request as replayed (same id and fingerprint) or refuse a reused id; before
-- this table the list was part of the state rewritten on every change.
CREATE TABLE IF NOT EXISTS readiness_applied_request
(
    code        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    request_id  TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    call_id     TEXT    NULL,
    PRIMARY KEY (code, version)
);
