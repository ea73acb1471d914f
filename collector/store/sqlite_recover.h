// Recovery of a damaged embedded store (collector.db): what SQLite can still
// read goes into a new file, the damaged one is kept beside it.
//
// Why not `sqlite3 .recover`: Debian 12's sqlite3 is built without the
// sqlite_dbpage table that .recover needs and fails on every file, and
// .dump stops a table at the first damaged page. This copies table by table
// through the b-tree: a scan in rowid order; where it meets damage, seeks
// further on (doubling the step) find the next readable row and the row ids
// in between are tried one at a time, so a damaged leaf page loses its own
// rows and no more. The rollups and the free-text index are derived data:
// they are rebuilt from the recovered alerts, not copied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::collector {

struct RecoveredTable {
  std::string name;
  int64_t copied = 0;
  int64_t damaged_regions = 0;  // places where a read met damage and was skipped
};

struct RecoverReport {
  std::string kept_as;  // where the damaged file (and its -wal) now lies
  std::vector<RecoveredTable> tables;
};

// Recovers the store at PATH in place: the damaged file and its -wal are
// renamed to PATH.corrupt-YYYYmmddTHHMMSS(-wal), and a new PATH holds every
// row that could be read. Refuses (false, *error) when another process has
// the file open (a running collector), when PATH is not a database SQLite can
// open at all, or when the new file cannot be written; PATH is then as it was.
bool recover_sqlite_store(const std::string& path, RecoverReport* report, std::string* error);

}  // namespace vigil::collector
