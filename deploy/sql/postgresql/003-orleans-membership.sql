-- Cluster membership for the Orleans ADO.NET clustering provider (AdoNetClusteringTable, AdoNetGatewayListProvider).
--
-- What the provider expects (Orleans 10.4):
--  * One version row per cluster (@DeploymentId is the ClusterId). Every membership change must move it on by one,
--    and only when the caller's @Version is still current: the version is the table's optimistic-concurrency token.
--  * Reads return the version row even when no silo row matches (a LEFT JOIN), with "Address", "Port",
--    "Generation", "SiloName", "HostName", "Status", "ProxyPort", "SuspectTimes", "StartTime" (NULL: no silo),
--    "IAmAliveTime" and "Version".
--  * InsertMembershipVersionKey, InsertMembershipKey, UpdateMembershipKey return exactly one row with one
--    boolean-convertible column: did it happen.
-- Silo status codes: 3 = Active, 6 = Dead. Times arrive as UTC DateTime values; they are stored as timestamptz.

CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    cluster_id varchar(150) NOT NULL PRIMARY KEY,
    version    integer      NOT NULL DEFAULT 0,
    changed_at timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    cluster_id      varchar(150) NOT NULL REFERENCES orleans_membership_version (cluster_id) ON DELETE CASCADE,
    address         varchar(45)  NOT NULL,
    port            integer      NOT NULL,
    generation      integer      NOT NULL,
    silo_name       varchar(150) NOT NULL,
    host_name       varchar(150) NOT NULL,
    status          integer      NOT NULL,
    proxy_port      integer      NOT NULL DEFAULT 0,
    suspect_times   text         NULL,
    start_time      timestamptz  NOT NULL,
    i_am_alive_time timestamptz  NOT NULL,
    CONSTRAINT pk_orleans_membership PRIMARY KEY (cluster_id, address, port, generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipVersionKey', $q$
    WITH inserted AS (
        INSERT INTO orleans_membership_version (cluster_id) VALUES (@DeploymentId)
        ON CONFLICT (cluster_id) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM inserted);
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- The version row is locked first (FOR UPDATE), the silo row is inserted only while the version is current, and
-- the version moves on only when the insert happened: concurrent writers serialise on the version row, and a
-- refused write leaves both tables as they were.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipKey', $q$
    WITH current_version AS (
        SELECT cluster_id FROM orleans_membership_version
        WHERE cluster_id = @DeploymentId AND version = @Version
        FOR UPDATE
    ), inserted AS (
        INSERT INTO orleans_membership
            (cluster_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
        SELECT cluster_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
        FROM current_version
        ON CONFLICT ON CONSTRAINT pk_orleans_membership DO NOTHING
        RETURNING cluster_id
    ), bumped AS (
        UPDATE orleans_membership_version
        SET version = version + 1, changed_at = now()
        WHERE cluster_id IN (SELECT cluster_id FROM inserted)
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM bumped);
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Same shape as the insert. A heartbeat never moves backwards (GREATEST).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateMembershipKey', $q$
    WITH current_version AS (
        SELECT cluster_id FROM orleans_membership_version
        WHERE cluster_id = @DeploymentId AND version = @Version
        FOR UPDATE
    ), updated AS (
        UPDATE orleans_membership m
        SET status = @Status,
            suspect_times = @SuspectTimes,
            i_am_alive_time = GREATEST(m.i_am_alive_time, @IAmAliveTime)
        FROM current_version v
        WHERE m.cluster_id = v.cluster_id
          AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
        RETURNING m.cluster_id
    ), bumped AS (
        UPDATE orleans_membership_version
        SET version = version + 1, changed_at = now()
        WHERE cluster_id IN (SELECT cluster_id FROM updated)
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM bumped);
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- The heartbeat is diagnostic and not versioned.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateIAmAlivetimeKey', $q$
    UPDATE orleans_membership
    SET i_am_alive_time = GREATEST(i_am_alive_time, @IAmAliveTime)
    WHERE cluster_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadRowKey', $q$
    SELECT m.address AS "Address", m.port AS "Port", m.generation AS "Generation", m.silo_name AS "SiloName",
           m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
           m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime",
           v.version AS "Version"
    FROM orleans_membership_version v
    LEFT JOIN orleans_membership m
           ON m.cluster_id = v.cluster_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    WHERE v.cluster_id = @DeploymentId;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadAllKey', $q$
    SELECT m.address AS "Address", m.port AS "Port", m.generation AS "Generation", m.silo_name AS "SiloName",
           m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
           m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime",
           v.version AS "Version"
    FROM orleans_membership_version v
    LEFT JOIN orleans_membership m ON m.cluster_id = v.cluster_id
    WHERE v.cluster_id = @DeploymentId;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Deleting the version row removes the cluster's silo rows with it (ON DELETE CASCADE).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM orleans_membership_version WHERE cluster_id = @DeploymentId;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Clients (web nodes) find their gateways here: active silos with a gateway port.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('GatewaysQueryKey', $q$
    SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
    FROM orleans_membership
    WHERE cluster_id = @DeploymentId AND status = @Status AND proxy_port > 0;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Only rows of dead silos that have been silent since before the cut-off; a joining or active silo is never removed.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM orleans_membership
    WHERE cluster_id = @DeploymentId
      AND status = 6
      AND i_am_alive_time < @IAmAliveTime
      AND start_time < @IAmAliveTime;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
