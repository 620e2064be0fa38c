import sqlite3, time
db=sqlite3.connect('audit.db')
cols="municipality_code, version, target, at_utc, actor_subject, actor_role, actor_tenant, request_id, before_value, after_value, client_address, before_fields, after_fields"
def conf(r): return f"(CASE WHEN {r}.after_fields IS NOT NULL THEN (CASE WHEN {r}.before_fields IS NOT NULL AND CAST({r}.before_fields AS TEXT) = CAST({r}.after_fields AS TEXT) THEN 1 ELSE 0 END) WHEN {r}.after_value IS NOT NULL AND {r}.before_value = {r}.after_value THEN 1 ELSE 0 END)"
def sql(pref, view, new=True):
    where=[]
    if pref: where.append("substr(a.municipality_code, 1, 2) = :p")
    c=conf("a")
    same="FROM readiness_audit g WHERE g.municipality_code = a.municipality_code AND g.version = a.version" + (f" AND {conf('g')} = 1" if new else "")
    first=f"a.target = (SELECT MIN(g.target) {same})"
    if view=="grouped": where.append(f"({c} = 0 OR {first})")
    if view=="exclude": where.append(f"{c} = 0")
    if view=="only": where.append(f"{c} = 1 AND {first}")
    g=f", CASE WHEN {c} = 1 THEN (SELECT COUNT(*) {same}) ELSE 0 END" if view in ("grouped","only") else ""
    f=(" WHERE "+" AND ".join(where)) if where else ""
    return f"SELECT {', '.join('a.'+x for x in cols.split(', '))}, a.rowid{g} FROM readiness_audit a{f} ORDER BY a.rowid DESC LIMIT :take"
for new in (False, True):
  for pref in (None,"13"):
    for view in ("each","grouped","exclude","only"):
        t=time.perf_counter(); r=db.execute(sql(pref,view,new),{"p":pref,"take":51}).fetchall(); d=time.perf_counter()-t
        print(f"{'h3' if new else 'old'} {pref or 'nation'} {view}: {len(r)} rows {d*1000:.1f} ms")
for pref in (None,"13"):
    t=time.perf_counter(); n=0
    for row in db.execute(sql(pref,"grouped",True).replace("LIMIT :take",""),{"p":pref}): n+=1
    print(f"whole grouped {pref or 'nation'}: {n} rows {time.perf_counter()-t:.2f} s")
    t=time.perf_counter(); print(db.execute("SELECT COUNT(*), MAX(rowid), SUM(rowid) FROM readiness_audit" + (" WHERE substr(municipality_code, 1, 2) = :p" if pref else ""),{"p":pref}).fetchone(), f"fingerprint {(time.perf_counter()-t)*1000:.1f} ms")
