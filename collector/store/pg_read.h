// The PostgreSQL store's read side, triage and suppressions: free functions
// over the connection pool (collector/store/pg_db.h) that PgStore forwards
// its methods to. Each reproduces the SQLite store's answer for the same
// rows (the same JSON shapes, order, paging cursors and errors):
//   alerts      sqlite_alert_query.cpp (list, groups, detail), query_alerts
//   free text   alert_fts.h: q's terms are phrases of words, ANDed, the last
//               one a prefix with a trailing '*'; words are case folded and
//               accents dropped (unaccent); matched over the signature and
//               the app-layer text (alerts.app_text, alert_app_text()),
//               as LIKE patterns of whole words over alerts.fts_doc
//   stats       alert_rollups.cpp: the same series, totals, top lists, top
//               range and "source" (rollup/raw), from the same rollup
//               tables (kept by the ingest and retention transactions)
//   triage      sqlite_triage.cpp
//
// Thread-safe: each call checks a connection out of the pool for its
// duration. Writes (triage, suppressions) run in one transaction each, with
// the audit row in the same transaction. Errors come back as values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/store/store.h"

namespace vigil::collector {

namespace pg {
class Conn;
class Pool;
}  // namespace pg

namespace pg_read {

// The read side's own schema objects, applied by pg_schema's migration list
// (in its transaction, after the tables exist): the extensions unaccent and
// pg_trgm, the text-folding SQL functions vigil_fts_norm() / vigil_fts_doc(),
// the generated column alerts.fts_doc (the folded signature and app-layer
// text, computed once at ingest) and its trigram index. Statements separated
// by ";\n".
extern const char* const kMigrationSql;
// The rollup tables (alert_rollups.h's alert_rollup_min and
// alert_rollup_hour, the same layout), counted from the alerts already
// stored, and alert_rollup_pending: the changes not yet folded into them
// (one row per alert stored, n 1, or deleted, n -1; written by the ingest and
// retention statements themselves, so ingest takes no lock on shared rollup
// rows). The aggregations read the rollups and the pending rows together.
// Applied by pg_schema's migration list.
extern const char* const kRollupMigrationSql;
extern const char* const kAgentRollupMigrationSql;

// Moves up to `limit` pending rows into the rollups in one transaction
// (upserts in key order; rows a deletion brought to 0 go); *folded: how many.
// Nothing when another collector is folding (an advisory lock).
StoreStatus fold_rollups(pg::Conn& c, int64_t limit, int64_t* folded);
// Removes the rollup and pending rows of UTC day `day` (days since the
// epoch), whose partition is being dropped. REQUIRES: c in that transaction,
// holding the partition's lock.
StoreStatus drop_rollup_day(pg::Conn& c, int64_t day);

StoreStatus query_alerts(pg::Pool& pool, const AlertQuery& q, AlertPage* out);
StoreStatus list_alerts(pg::Pool& pool, const AlertListQuery& q, AlertListPage* out);
StoreStatus group_alerts(pg::Pool& pool, const AlertListQuery& q, AlertGroupPage* out);
// *out stays nullopt when no alert has that id.
StoreStatus alert_detail(pg::Pool& pool, int64_t id, std::optional<AlertDetail>* out);
// -1 when the database cannot be read.
int64_t count_events(pg::Pool& pool, const std::string& event_type);
StoreStatus alert_stats(pg::Pool& pool, const StatsQuery& q, AlertStats* out);

StoreStatus triage_alerts(pg::Pool& pool, const std::vector<int64_t>& ids, const TriageChange& change,
                          const std::string& actor, int64_t now, const AuditEntry* audit, uint64_t* matched);
std::optional<AlertTriage> get_triage(pg::Pool& pool, int64_t alert_id);

StoreStatus add_suppression(pg::Pool& pool, Suppression* s, AuditEntry audit);
std::vector<Suppression> list_suppressions(pg::Pool& pool, bool all, int64_t now);
StoreStatus remove_suppression(pg::Pool& pool, int64_t id, int64_t now, const AuditEntry& audit, bool* found);
StoreStatus add_suppression_hits(pg::Pool& pool, const std::vector<std::pair<int64_t, uint64_t>>& hits);

}  // namespace pg_read
}  // namespace vigil::collector
