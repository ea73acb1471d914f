// The PostgreSQL store: the Store interface (collector/store/store.h) over a
// PostgreSQL database, for several collectors sharing one database.
//
// The URL is any libpq connection string or URI, e.g.
//   postgresql://vigil@/vigil?host=/run/postgresql
//   postgresql://vigil:secret@db.example.net:5432/vigil?sslmode=verify-full
// Opening applies the schema migrations the database lacks
// (collector/store/pg_schema.h). Answers are those of the SQLite store for
// the same rows; what differs is described in collector/README.md
// ("PostgreSQL store").
//
// Ingest is exactly-once across processes: a batch's (agent, batch_seq) row
// and each alert's (agent, event uid) row are inserted in the batch's
// transaction, so a resend that reaches another collector while the first
// is still being stored waits for it and is then answered as a duplicate.
#pragma once

#include <memory>
#include <string>

#include "collector/store/store.h"

namespace vigil::collector {

// Connections the store keeps open (each request or ingest batch uses one
// while it runs).
inline constexpr int kPgPoolSize = 8;

// Null + *error (the server's message, or why the URL cannot be used) when
// the database cannot be reached or migrated.
std::unique_ptr<Store> open_pg_store(const std::string& url, std::string* error, int pool_size = kPgPoolSize);

}  // namespace vigil::collector
