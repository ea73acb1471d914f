// The alert read side over SQLite: list, group and detail queries built from
// an AlertFilter, run on the store's read connection.
//
// Called by SqliteStore with its read connection's mutex held (one thread
// at a time per Db). Reads only; WAL readers never block ingest.
#pragma once

#include <functional>
#include <string>

#include "collector/store/alert_query.h"
#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

namespace vigil::collector {

// Registers the SQL functions the queries use (vigil_ip16, for ad-hoc SQL) on a connection.
bool register_alert_query_functions(Db& db, std::string* error);

class AlertFacts;

// The list's page. With `facts` (the stats cache, loaded), a filter whose
// every condition it holds, and one that no index finds the rows of alone
// (a port, protocol, app protocol or category; two or more of severity,
// sid, agent and addresses), is answered there (AlertFacts::newest): the
// page's ids and the capped total, then the rows read by id. Call it
// inside a read transaction.
StoreStatus sqlite_list_alerts(Db& db, const AlertListQuery& q, AlertListPage* out,
                               const AlertFacts* facts = nullptr);
StoreStatus sqlite_group_alerts(Db& db, const AlertListQuery& q, AlertGroupPage* out);
// *out stays nullopt when no alert has that id.
StoreStatus sqlite_alert_detail(Db& db, int64_t id, std::optional<AlertDetail>* out);
// Every alert matching `f` (the same WHERE clause as the list, so the same
// rows), unordered: runs "SELECT <cols> FROM alerts a LEFT JOIN alert_triage
// t ..." (cols name a.* and t.* columns) and calls `row` once per row.
StoreStatus sqlite_scan_alerts(Db& db, const AlertFilter& f, const std::string& cols,
                               const std::function<void(const Stmt&)>& row);

}  // namespace vigil::collector
