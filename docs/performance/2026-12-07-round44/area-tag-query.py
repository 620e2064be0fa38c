# Round 44: the area CSV's tag per view of confirmations (SqlAuditLog.AreaFingerprintSql), on the round-43 trail
# (area-sql-gen.py 10: 1,165,130 rows). Each query run 3 times; the best and worst shown.
import sqlite3, time
db=sqlite3.connect('audit.db')
def conf(r): return f"(CASE WHEN {r}.after_fields IS NOT NULL THEN (CASE WHEN {r}.before_fields IS NOT NULL AND CAST({r}.before_fields AS TEXT) = CAST({r}.after_fields AS TEXT) THEN 1 ELSE 0 END) WHEN {r}.after_value IS NOT NULL AND {r}.before_value = {r}.after_value THEN 1 ELSE 0 END)"
def sql(pref, view):
    where=[]
    if pref: where.append("substr(a.municipality_code, 1, 2) = :p")
    if view=="exclude": where.append(f"{conf('a')} = 0")
    if view=="only": where.append(f"{conf('a')} = 1")
    return "SELECT COUNT(*), COALESCE(MAX(a.rowid), 0), COALESCE(SUM(a.rowid), 0) FROM readiness_audit a" + ((" WHERE "+" AND ".join(where)) if where else "")
for pref in (None,"13"):
    for view in ("each","exclude","only"):
        ts=[]
        for _ in range(3):
            t=time.perf_counter(); r=db.execute(sql(pref,view),{"p":pref}).fetchone(); ts.append((time.perf_counter()-t)*1000)
        plan=" | ".join(x[3] for x in db.execute("EXPLAIN QUERY PLAN "+sql(pref,view),{"p":pref}))
        print(f"{pref or 'nation'} {view}: {r} {min(ts):.0f}-{max(ts):.0f} ms  plan: {plan}")
