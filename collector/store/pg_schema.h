// The PostgreSQL store's schema: versioned migrations and the alert table's
// day partitions.
//
// Migrations are numbered; each is applied once per database, in its own
// transaction, under a transaction-level advisory lock (so two collectors, or
// a collector and a CLI command, starting together never apply one twice)
// and recorded in schema_migrations(version, applied_at). A migration, once
// released, never changes: later changes are new migrations.
//
// Tables mirror the SQLite store's (same names and columns; INT -> BIGINT,
// INTEGER PRIMARY KEY -> BIGINT identity, 16-byte addresses -> BYTEA), with
// these differences:
//  - alerts is PARTITION BY RANGE (ts) (event time in microseconds), one
//    partition per UTC day, alerts_pYYYYMMDD, created on demand at ingest
//    (ensure_day_partitions), plus the DEFAULT partition alerts_default.
//    Retention drops whole day partitions.
//  - alert ids come from the sequence alerts_id_seq (unique across
//    partitions); the primary key is (id, ts).
//  - uniqueness of (agent_id, event_uid) of alerts lives in the unpartitioned
//    table alert_uids, written in the ingest transaction.
//  - alerts.app_text: the app-layer text free text (q) matches
//    (alert_app_text(), collector/store/alert_fts.h), filled at ingest.
//  - sessions / user_tokens keep their column "user" (a reserved word in
//    PostgreSQL: always write it quoted, "user").
//  - no rollup tables: the PostgreSQL read side counts from the rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/store/pg_db.h"

namespace vigil::collector::pg_schema {

// The highest migration version this build knows.
int latest_version();

// Applies the migrations the database lacks; an error names the migration
// and the server's message.
StoreStatus migrate(pg::Conn& c);

// UTC day number (days since 1970-01-01) of an event time in microseconds,
// rounded down (times before 1970 give negative days).
int64_t day_of_us(int64_t ts_us);
// "alerts_p20261204": the partition holding that day.
std::string partition_name(int64_t day);

// Creates the day partition for `day` if it does not exist, in its own
// short transaction (a racing collector creating the same one is not an
// error). Call outside any transaction.
StoreStatus ensure_day_partition(pg::Conn& c, int64_t day);

// The days that have a partition, oldest first.
StoreStatus list_day_partitions(pg::Conn& c, std::vector<int64_t>* days);
// Drops the day's partition with everything that belongs to its alerts
// (triage rows, history, comments, uid rows), in one transaction that locks
// the partition first (an ingest into it waits, then goes to a new
// partition). *alerts: the alerts it held; 0 when it did not exist.
StoreStatus drop_day_partition(pg::Conn& c, int64_t day, uint64_t* alerts);

}  // namespace vigil::collector::pg_schema
