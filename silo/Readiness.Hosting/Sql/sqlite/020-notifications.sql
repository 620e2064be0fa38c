-- Notifications (embedded mode): the durable outbox, its dispatcher's stored position over the audit trail, each
-- person's preferences, the webhook endpoints administrators register, and the digest schedule. Times are Unix
-- milliseconds (UTC) so that SQLite and PostgreSQL share every statement. See docs/notifications.md.
-- The position over readiness_audit is SQLite's rowid: the audit table has no other order of insertion, and SQLite
-- commits one writer at a time, so rowids become visible in order.

CREATE TABLE IF NOT EXISTS readiness_notification_state
(
    name  TEXT NOT NULL PRIMARY KEY, -- 'audit_position', 'unsubscribe_key', 'digest:{prefecture}', 'personal:{subject}:{frequency}'
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS readiness_notification_outbox
(
    id                TEXT    NOT NULL PRIMARY KEY, -- stable: hash of the audit entry, kind, channel and recipient (webhook-id)
    kind              TEXT    NOT NULL,             -- regression, overdue, past_target, beyond_limit, designation_incomplete, digest
    channel           TEXT    NOT NULL,             -- mail, in_app, webhook
    recipient         TEXT    NOT NULL,             -- a person's subject (e-mail) or a webhook endpoint's id
    address           TEXT    NULL,                 -- the e-mail address or URL at the time of the event
    language          TEXT    NOT NULL DEFAULT 'ja',
    municipality_code TEXT    NULL,
    prefecture_code   TEXT    NULL,
    audit_position    INTEGER NOT NULL,
    payload           TEXT    NOT NULL,             -- the event as JSON (what the webhook body and the mail are made of)
    status            TEXT    NOT NULL,             -- pending, delivered, dead, held (for a daily/weekly digest), digested
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms   INTEGER NOT NULL,
    lease_until_ms    INTEGER NULL,
    last_error        TEXT    NULL,
    created_ms        INTEGER NOT NULL,
    delivered_ms      INTEGER NULL,
    read_ms           INTEGER NULL
);

CREATE INDEX IF NOT EXISTS ix_readiness_notification_due ON readiness_notification_outbox (status, next_attempt_ms);
CREATE INDEX IF NOT EXISTS ix_readiness_notification_recipient ON readiness_notification_outbox (recipient, channel, created_ms);
CREATE INDEX IF NOT EXISTS ix_readiness_notification_prefecture ON readiness_notification_outbox (prefecture_code, created_ms);

CREATE TABLE IF NOT EXISTS readiness_notification_preferences
(
    subject    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    mail       INTEGER NOT NULL,
    in_app     INTEGER NOT NULL,
    frequency  TEXT    NOT NULL, -- immediately, daily, weekly
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (subject, kind)
);

CREATE TABLE IF NOT EXISTS readiness_webhook_endpoints
(
    id         TEXT    NOT NULL PRIMARY KEY,
    tenant     TEXT    NULL, -- prefecture (2 digits) or municipality (6 digits); NULL: every municipality
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL, -- whsec_… (Standard Webhooks)
    created_by TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1
);
