// The SQLite store's alerts in partitions by id: one table per block of
// ingest (alerts_p<first_id>, each with the same columns, dedup key and
// indexes), listed in the catalog alert_parts, and read through the view
// `alerts` (UNION ALL of the tables, oldest first), so that every reader
// keeps writing its queries against `alerts`: SQLite flattens the view, and
// a newest-first page becomes a merge of each table's index walk. Two rules
// of SQLite 3.40's flattener to write them by: every ORDER BY term must be
// a column of the result (else each table's matching rows are read and
// sorted), and an aggregate is never flattened (MAX(id) over the view reads
// every row: write ORDER BY id DESC LIMIT 1).
//
// Why: retention drops a whole table instead of deleting its alerts one by
// one from nine b-trees, which cost about as much as storing them and held
// the one write lock that ingest needs (bench/RESULTS.md, "Alerts in
// partitions"). Only the newest table takes new alerts; its ids are given
// by the store (the view has no rowid to give), from its first_id up.
//
// Only the closed partitions have every index. The newest lacks the flow
// index, (agent_id, flow_id, ts), and gets it in the transaction that starts
// the next: built from one sorted pass instead of updated at every insert,
// where the random position of each flow id dirtied a page of that index
// per alert or so at every commit (bench/RESULTS.md, "The flow index built
// when a partition closes"). The alert detail reads the newest's flow rows
// on its (ts, id) index.
//
// A database from before partitions keeps its `alerts` table: renamed
// alerts_p0, it becomes the first partition (first_id 0), with its indexes
// and their names. A new database starts with an empty alerts_p0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

namespace vigil::collector {

struct AlertPart {
  int64_t first_id = 0;  // the partition holds ids from here up to the next one's first_id
  std::string name;
};

// The view's columns, in the order of every partition's table.
extern const char* const kAlertColumns;

// Whether `alerts` is still a table (a database from before partitions,
// not yet converted): the migrations of its columns run on it first.
bool alerts_is_table(Db& db);

// Makes the catalog, the first partition and the view when the database
// lacks them (converting a table `alerts`), and gives every partition but
// the newest the indexes of a closed one, in one write transaction.
StoreStatus ensure_alert_parts(Db& db);

// The partitions, oldest first (none when the catalog cannot be read).
std::vector<AlertPart> alert_parts(Db& db);

// In the caller's write transaction: builds the flow index of the newest
// partition, which closes, creates the partition starting at first_id
// (table, dedup key, indexes but the flow's, catalog row) and rebuilds the
// view.
StoreStatus add_alert_part(Db& db, int64_t first_id, AlertPart* out);

// In the caller's write transaction: drops the partition's table (its
// indexes go with it), its catalog row, and rebuilds the view.
StoreStatus drop_alert_part(Db& db, const AlertPart& part);

// The first n partitions' rows, as the view has them: a UNION ALL of each
// table's columns (empty for none).
std::string alert_parts_union(const std::vector<AlertPart>& parts, size_t n);

// The alerts stored: the sum of each partition's count.
int64_t count_alerts(Db& db, const std::vector<AlertPart>& parts);

// A FROM source with the ids of the alerts in [lo, hi): the one partition
// that covers that range, or a UNION ALL of those that do (an id lookup then
// probes only them, not every partition).
std::string alert_ids_source(const std::vector<AlertPart>& parts, int64_t lo, int64_t hi);

}  // namespace vigil::collector
