-- Recent changes across a prefecture (GET /api/v1/prefectures/{prefCode}/changes, the prefecture page): the audit rows
-- whose municipality code starts with the 2-digit prefecture code, newest recorded first. SQLite appends the rowid (the
-- order of recording, as the notification dispatcher reads it) to every index entry, so one page is one range of this
-- index read backwards, however long the prefecture's trail. The nation's changes need no index: the table is in rowid
-- order. The expression must be written exactly so in a query for SQLite to use the index.
CREATE INDEX IF NOT EXISTS ix_readiness_audit_prefecture ON readiness_audit (substr(municipality_code, 1, 2));
