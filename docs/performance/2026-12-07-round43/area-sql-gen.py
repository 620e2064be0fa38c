import sqlite3, json, random, time, sys
random.seed(1)
db=sqlite3.connect('audit.db')
for f in ['002-audit.sql','003-audit-fields.sql','070-audit-request-index.sql','080-audit-prefecture-index.sql']:
    db.executescript(open('/work/main/silo/Readiness.Hosting/Sql/sqlite/'+f).read())
codes=[f"{p:02d}{i:03d}{c}" for p in range(1,48) for i,c in zip(range(37),"0123456789"*4)][:1741]
targets=[f"system:s{i:02d}" for i in range(20)]+[f"security:SEC-{i:02d}" for i in range(47)]
def fields(t,v): 
    if t.startswith('system'): return json.dumps({"phase":v,"notApplicable":False,"plannedGoLive":"2026-03-01","vendor":"ベンダー株式会社","hosting":"gov_cloud","designated":False,"designationReason":None,"designationTarget":None,"regression":False,"regressionReason":None,"cloudProvider":"aws","designationReasonNote":None},ensure_ascii=False,separators=(',',':'))
    return json.dumps({"status":v,"lastReviewed":"2026-10-01","evidence":"規程第3条に基づく"},ensure_ascii=False,separators=(',',':'))
rows=[]
R=int(sys.argv[1])
n=0
for cycle in range(R):
    for code in codes:
        version=cycle+1
        mixed=random.random()<0.2
        changed=set(random.sample(range(67),3)) if mixed else set()
        for k,t in enumerate(targets):
            b=fields(t,"testing"); a=fields(t,"production") if k in changed else b
            rows.append((code,version,t,"2026-12-01T00:00:00Z","staff","municipality",code,f"r{cycle}",None,None,None,b,a))
    db.executemany("INSERT INTO readiness_audit (municipality_code, version, target, at_utc, actor_subject, actor_role, actor_tenant, request_id, before_value, after_value, client_address, before_fields, after_fields) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",rows)
    n+=len(rows); rows=[]
db.commit(); print(n)
