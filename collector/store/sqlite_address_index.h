// Alert addresses as 16-byte BLOBs (IPv4 mapped into ::ffff:0:0/96, as
// ip16() computes them) in alerts.src_ip16 / alerts.dest_ip16, each with an
// index (address, ts). Byte order is address order, so a CIDR block is one
// BETWEEN on the index and an exact address is blob equality; the TEXT
// columns src_ip / dest_ip stay as the agent wrote them (EVE fidelity,
// output) but are no longer indexed: one index per address, not two.
//
// SqliteStore calls migrate_address_index() once at open, on its write
// connection, before any ingest; bind_ip16() from the ingest transaction
// (write mutex held). Nothing here keeps state.
#pragma once

#include <optional>
#include <string>

#include "collector/store/alert_query.h"
#include "collector/store/sqlite_db.h"

namespace vigil::collector {

// Registers vigil_ip16(text): the 16-byte form of an address, NULL for
// anything that is not one.
bool register_ip16_function(Db& db, std::string* error);

// Binds the 16-byte form of `text` (NULL when absent or not an address).
void bind_ip16(Stmt& s, int i, const std::optional<std::string>& text);
void bind_ip16(Stmt& s, int i, const Ip16& a);

// Brings the alerts table to the BLOB address index, in one write
// transaction: fills src_ip16 / dest_ip16 from the TEXT columns where they
// are missing, creates alerts_src16 / alerts_dest16 and drops the old TEXT
// indexes alerts_src / alerts_dest. Runs only while its own state says it is
// needed (a BLOB index missing, or a TEXT index present, which a version
// from before these columns recreates when it opens the database and whose
// rows then lack their BLOBs); otherwise does nothing. The columns
// themselves come from SqliteStore's kAddedColumns. *backfilled: the rows
// filled (for the log).
bool migrate_address_index(Db& w, int64_t* backfilled, std::string* error);

}  // namespace vigil::collector
