-- Readiness schema for the Orleans ADO.NET providers on PostgreSQL, version 1: the query table.
--
-- Written for this product (Orleans ships no scripts in its packages). Every provider starts by running
-- "SELECT QueryKey, QueryText FROM OrleansQuery" and then only executes the statements it finds there, binding its
-- own parameters by name (@ServiceId, @GrainStateVersion, ...) and reading result columns by name. So the table and
-- column names below the query table are ours to choose; only this table's name and the result column names the
-- providers read (quoted aliases in the later scripts) are fixed.
--
-- Every script is idempotent on its own (IF NOT EXISTS, upserts) and is applied once, in file-name order, by
-- Readiness.Hosting.PostgresSchema under an advisory lock, which records it in readiness_schema_version.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);
