// The SQLite side of triage and suppressions: tables alert_triage (created
// with the store's schema), alert_triage_history, alert_comments and
// suppressions, and the statements SqliteStore runs on them.
//
// SqliteStore calls these with its write or read connection and holds that
// connection's mutex for the whole call; nothing here locks or keeps state.
// Writes run in their own transaction (BEGIN IMMEDIATE ... COMMIT) and roll
// back on any failure, so a change is all there or not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

namespace vigil::collector::sqlite_triage {

// CREATE TABLE/INDEX IF NOT EXISTS for the tables above.
extern const char* const kSchema;

StoreStatus triage_alerts(Db& w, const std::vector<int64_t>& ids, const TriageChange& change,
                          const std::string& actor, int64_t now, const AuditEntry* audit, uint64_t* matched);
std::optional<AlertTriage> get_triage(Db& r, int64_t alert_id);

StoreStatus add_suppression(Db& w, Suppression* s, AuditEntry audit);
std::vector<Suppression> list_suppressions(Db& r, bool all, int64_t now);
StoreStatus remove_suppression(Db& w, int64_t id, int64_t now, const AuditEntry& audit, bool* found);
StoreStatus add_suppression_hits(Db& w, const std::vector<std::pair<int64_t, uint64_t>>& hits);

}  // namespace vigil::collector::sqlite_triage
