#!/usr/bin/env python3
"""What time partitions would change in the SQLite store (issue 11).

Builds the same alerts twice in fresh databases, with the collector's
settings (WAL, synchronous=FULL, incremental auto-vacuum) and an alerts
table shaped like collector/store/sqlite_store.cpp's (the uid key, the seven
query indexes, the flow index, a regular FTS5 table over two text columns):

  single: one `alerts` table, retention deletes the oldest rows in
          transactions of --chunk rows, the FTS rows going with a trigger
          (what the store does today);
  parts:  --parts tables of rows/parts alerts each, in ingest order, read
          through a view `alerts` (UNION ALL of the tables); retention drops
          the oldest table and its FTS table whole.

It prints the process CPU per stored alert, per removed alert (one
partition's worth of the oldest alerts in both layouts), the query plans
SQLite 3's planner chose for the alert list through the view, and their
latency. Python's own per-row cost is in the fill numbers of both layouts
alike; the removal numbers are SQLite's work.

  python3 bench/sqlite_partition_probe.py --rows 1000000 --parts 8 --dir DIR
"""

import argparse
import os
import random
import sqlite3
import time

WORDS = ["trojan", "http", "get", "post", "evil", "example", "com", "dns", "query", "tls", "sni",
         "exploit", "cve", "scan", "policy", "đăng", "nhập", "user", "agent", "beacon"]


def create(db, t):
    db.executescript(f"""
CREATE TABLE {t}(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, event_uid BLOB NOT NULL,
  ts INT NOT NULL, sid INT, severity INT, src_ip16 BLOB, dest_ip16 BLOB, flow_id INT, json TEXT,
  UNIQUE(agent_id, event_uid));
CREATE INDEX {t}_ts ON {t}(ts, id);
CREATE INDEX {t}_severity ON {t}(severity, ts);
CREATE INDEX {t}_sid ON {t}(sid, ts);
CREATE INDEX {t}_agent ON {t}(agent_id, ts);
CREATE INDEX {t}_flow ON {t}(agent_id, flow_id, ts) WHERE flow_id IS NOT NULL;
CREATE INDEX {t}_src16 ON {t}(src_ip16, ts);
CREATE INDEX {t}_dest16 ON {t}(dest_ip16, ts);
CREATE VIRTUAL TABLE {t}_fts USING fts5(signature, app, tokenize = 'unicode61 remove_diacritics 2');
""")


def fill(db, t, lo, hi, rng, chunk):
    for s in range(lo, hi, chunk):
        db.execute("BEGIN")
        for i in range(s, min(hi, s + chunk)):
            db.execute(f"INSERT INTO {t} VALUES(?,?,?,?,?,?,?,?,?,?)",
                       (i, f"ag-{i % 10}", rng.randbytes(32), 1_700_000_000_000_000 + i * 1000,
                        rng.randint(2000000, 2000500), rng.randint(1, 4), rng.randbytes(16),
                        rng.randbytes(16), rng.getrandbits(50), "x" * 600))
            db.execute(f"INSERT INTO {t}_fts(rowid, signature, app) VALUES(?,?,?)",
                       (i, " ".join(rng.sample(WORDS, 5)), " ".join(rng.sample(WORDS, 8))))
        db.execute("COMMIT")


QUERIES = {
    "newest page": "",
    "time range": "WHERE a.ts BETWEEN {mid} AND {mid} + 200000000",
    "sid": "WHERE a.sid = 2000100",
    "severity": "WHERE a.severity = 1",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=400000)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--chunk", type=int, default=5000)
    ap.add_argument("--dir", default=".")
    args = ap.parse_args()
    per = args.rows // args.parts
    for mode in ("single", "parts"):
        path = os.path.join(args.dir, f"probe-{mode}.db")
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(path + ext):
                os.remove(path + ext)
        db = sqlite3.connect(path, isolation_level=None)
        db.executescript("PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; "
                         "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;")
        db.execute("CREATE TABLE alert_triage(alert_id INTEGER PRIMARY KEY, status TEXT, assignee TEXT)")
        rng = random.Random(1)
        t0 = time.process_time()
        if mode == "single":
            create(db, "alerts")
            db.execute("CREATE TRIGGER alerts_fts_delete AFTER DELETE ON alerts BEGIN "
                       "DELETE FROM alerts_fts WHERE rowid=old.id; END")
            fill(db, "alerts", 1, args.rows + 1, rng, args.chunk)
        else:
            for p in range(args.parts):
                create(db, f"alerts_p{p}")
                fill(db, f"alerts_p{p}", 1 + p * per, 1 + (p + 1) * per, rng, args.chunk)
        fill_us = (time.process_time() - t0) / args.rows * 1e6
        t0, w0 = time.process_time(), time.time()
        if mode == "single":
            for _ in range(per // args.chunk):
                db.execute("BEGIN")
                db.execute("DELETE FROM alerts WHERE id IN (SELECT id FROM alerts ORDER BY ts, id LIMIT ?)",
                           (args.chunk,))
                db.execute("COMMIT")
        else:
            db.execute("BEGIN")
            db.execute("DROP TABLE alerts_p0")
            db.execute("DROP TABLE alerts_p0_fts")
            db.execute("COMMIT")
            db.execute("CREATE TEMP VIEW alerts AS " +
                       " UNION ALL ".join(f"SELECT * FROM alerts_p{p}" for p in range(1, args.parts)))
        rm_us = (time.process_time() - t0) / per * 1e6
        rm_wall = time.time() - w0
        print(f"{mode}: store {fill_us:.1f} us CPU per alert; remove the oldest {per} "
              f"{rm_us:.1f} us CPU per alert ({rm_wall:.2f} s wall)")
        mid = 1_700_000_000_000_000 + (args.rows // 2) * 1000
        for name, where in QUERIES.items():
            q = ("SELECT a.id, a.ts, a.json, COALESCE(t.status,'new') FROM alerts a "
                 "LEFT JOIN alert_triage t ON t.alert_id=a.id " + where.format(mid=mid) +
                 " ORDER BY a.ts DESC, a.id DESC LIMIT 50")
            plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + q)]
            db.execute(q).fetchall()
            t0 = time.time()
            for _ in range(20):
                db.execute(q).fetchall()
            ms = (time.time() - t0) / 20 * 1000
            print(f"  {name}: {ms:.2f} ms; plan: {plan[0]}, {plan[-2] if len(plan) > 1 else ''}")
        db.close()


if __name__ == "__main__":
    main()
