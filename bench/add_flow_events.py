#!/usr/bin/env python3
"""Adds app-layer events to a store filled by vigil-store-fill (which writes
alerts only): for every alert, an http, a dns and a flow event of its agent
and flow_id a few seconds around it, and one stats event without a flow.
Writes the events table directly with the columns every version has, so the
same file serves a collector from before events.flow_id (which then fills it
in on open).

    bench/add_flow_events.py DATA_DIR/collector.db
"""
import json
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT agent_id, ts, flow_id, src_ip, dest_ip FROM alerts ORDER BY id").fetchall()
n = 0
batch = []
for agent, ts, flow, src, dst in rows:
    for k, kind in enumerate(("http", "dns", "flow", "stats")):
        t = ts + (k - 1) * 2_000_000
        e = {"timestamp": "", "event_type": kind, "src_ip": src, "dest_ip": dst}
        if kind != "stats":
            e["flow_id"] = flow
        if kind == "http":
            e["http"] = {"hostname": "h%d.example" % flow, "url": "/x", "status": 200}
        elif kind == "dns":
            e["dns"] = {"type": "query", "rrname": "h%d.example" % flow}
        elif kind == "stats":
            e["stats"] = {"uptime": n}
        batch.append((agent, "ev-%d" % n, t, kind, ts // 1_000_000, json.dumps(e)))
        n += 1
    if len(batch) >= 50000:
        db.executemany("INSERT INTO events(agent_id,event_uid,ts,event_type,received_at,json) VALUES(?,?,?,?,?,?)",
                       batch)
        batch = []
db.executemany("INSERT INTO events(agent_id,event_uid,ts,event_type,received_at,json) VALUES(?,?,?,?,?,?)", batch)
db.commit()
print("events=%d" % n)
