// Free text over alerts: the SQLite FTS5 table alerts_fts (rowid = alerts.id)
// over each alert's signature and the string values of its app-layer objects,
// and how the API's `q` becomes an FTS5 MATCH expression.
//
// SqliteStore calls ensure_alert_fts() once at open on its write connection:
// it creates the table and the trigger that removes an alert's row when the
// alert is deleted (in the same transaction), and indexes the alerts of a
// database created before the table. The store indexes each alert it inserts
// with alert_fts_insert_sql(), in the ingest transaction, only when the
// alert was really inserted (not a duplicate). fts_match_expression() is a pure function, called
// by the filter parser (to refuse a q with nothing to search for) and by the
// alert queries on any handler thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

namespace vigil::collector {

// Creates alerts_fts and its delete trigger when the database lacks them and
// indexes the alerts already stored, in one write transaction (nothing is
// left half-built if it fails). *backfilled: how many alerts were indexed
// now (0 when the table existed).
StoreStatus ensure_alert_fts(Db& db, int64_t* backfilled);

// The app-layer text indexed for an alert: every string value under the
// top-level objects http, dns, tls, ssh, fileinfo, smtp, email, ftp and the one
// named `app_proto`, in document order, space-separated, cut at 8 KiB, Đ/đ as
// D/d. Empty when the JSON is not an object. Registered on the connection by
// ensure_alert_fts() as SQL vigil_alert_app_text(json, app_proto).
std::string alert_app_text(std::string_view eve_json, std::string_view app_proto);

// The statement that indexes one alert: ?1 its id, ?2 its signature, ?3 its
// EVE JSON text, ?4 its app_proto (NULL when none). A JSON text that is not
// valid indexes the signature alone.
std::string alert_fts_insert_sql();

// Registers vigil_fts_has(match, id) on a read connection: 1 when alert `id`
// is in the match set of FTS5 expression `match` (a bound parameter, the same
// for every row of the statement), else 0. For a term found in many alerts:
// the list walks alerts newest first and asks per row, so only the matches
// near the rows walked are read. The set is read lazily from both ends of the
// index (rowid descending and ascending, whichever end is nearer the id
// asked), marked in a bitmap and kept for the statement's run (freed at its
// reset), so a run reads each match at most once whatever order rows come in.
// Called from statements on that connection's thread only.
bool register_fts_has_function(Db& db, std::string* error);

// The MATCH expression for free text `q`: each space-separated term quoted as
// an FTS5 string (so no text is ever read as FTS5 syntax: OR, NEAR, -, ^, "
// and * are plain characters), terms ANDed; a `*` ending the last term makes
// it a prefix. A term is a phrase of the words the tokenizer finds in it, so
// "evil.example.com" matches those three words in that order. nullopt when no
// term has a letter or digit (nothing to search for).
std::optional<std::string> fts_match_expression(std::string_view q);

// The free text's terms, as both stores read them: space-separated, a '*'
// ending the last one makes it a prefix, terms without a letter, digit or
// non-ASCII byte dropped.
struct FtsTerm {
  std::string text;
  bool prefix = false;
};
std::vector<FtsTerm> fts_terms(std::string_view q);

}  // namespace vigil::collector
