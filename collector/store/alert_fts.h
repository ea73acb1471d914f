// Free text over alerts: SQLite FTS5 tables (rowid = alerts.id) over each
// alert's signature and the string values of its app-layer objects, and how
// the API's `q` becomes an FTS5 MATCH expression.
//
// The index is split into blocks by alert id: the table of a block holds
// the alerts with ids from its first_id up to the next block's, and the
// catalog alerts_fts_blocks lists them. The first block of every database
// is alerts_fts. Retention deletes no index rows: it drops a block whole
// once no alert in its id range is left (drop_empty_fts_blocks), which costs
// nothing per alert, where deleting each alert's row cost a fifth of
// retention's CPU (bench/RESULTS.md). Until then a deleted alert's row
// stays in its block, so every reader looks its matches up in alerts (the
// list's own rows, vigil_fts_has asked only for ids of rows read, the
// counted matches joined to alerts), and a new alert that takes a deleted
// one's id replaces its row (INSERT OR REPLACE).
//
// The index, derived from the alerts, lives in a file of its own beside the
// store (alert_text_index_path), written by its own connection: the store's
// ingest hands each batch's rows to a second thread, which inserts them
// while the writer goes on and commits them about every 100 ms (a reader
// with q first waits for that commit; rows of a transaction that then
// failed are deleted before their ids come again; at open, rows above the
// highest alert id are deleted and alerts above the index's highest are
// indexed). Readers attach the file. SqliteStore
// calls ensure_alert_fts() once at open: it creates the catalog and
// alerts_fts when the file lacks them and indexes the alerts already stored;
// drop_main_fts() removes the index tables of stores from before the file.
// The store indexes each alert it inserts with alert_fts_insert_sql() of the
// block its id falls in, only when the alert was really inserted (not a
// duplicate), and starts a new block (add_fts_block) with each new alert
// partition, at the same first id (sqlite_alert_parts.h). fts_match_expression()
// is a pure function, called by the filter parser (to refuse a q with
// nothing to search for) and by the alert queries on any handler thread.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

namespace vigil::collector {

// One table of the free-text index: the alerts whose ids are from first_id
// up to the next block's first_id (the newest block: all ids from first_id).
struct FtsBlock {
  int64_t first_id = 0;
  std::string name;
};

// The blocks, oldest first (none when the catalog cannot be read).
std::vector<FtsBlock> fts_blocks(Db& db);

// The index file of the store at db_path: its name with "-text" before a
// ".db" ending (collector.db: collector-text.db), else "-text" appended.
std::string alert_text_index_path(const std::string& db_path);

// Makes the index in `text` whole in one write transaction there (nothing
// is left half-built if it fails): creates the catalog, and builds
// alerts_fts from the alerts read on `alerts` (the store's connection) when
// the file has no index or a block is missing. *backfilled: how many alerts
// were indexed now (0 when the index was whole).
StoreStatus ensure_alert_fts(Db& text, Db& alerts, int64_t* backfilled);

// Drops the index tables a store from before the index file kept in its own
// database (and their delete trigger), in one transaction; *dropped: how
// many tables.
StoreStatus drop_main_fts(Db& main, int* dropped);

// Creates the block that starts at first_id and lists it, in the caller's
// transaction.
StoreStatus add_fts_block(Db& db, int64_t first_id, FtsBlock* out);

// Drops every block of `db` but the newest that no alert's id (read on
// `alerts`) falls in any more, each in a write transaction of its own;
// *dropped: how many. For the store's one writer only (the check that a
// block is empty is made before its transaction).
StoreStatus drop_empty_fts_blocks(Db& db, Db& alerts, int* dropped);

// The app-layer text indexed for an alert: every string value under the
// top-level objects http, dns, tls, ssh, fileinfo, smtp, email, ftp and the one
// named `app_proto`, in document order, space-separated, cut at 8 KiB, Đ/đ as
// D/d. Empty when the JSON is not an object.
std::string alert_app_text(std::string_view eve_json, std::string_view app_proto);

// The statement that indexes one alert in `block` (the table of the block
// its id falls in): ?1 its id, ?2 its signature, ?3 its alert_app_text().
// A row left by a deleted alert with the
// same id is replaced; with replace false there must be none (a plain
// insert, which skips FTS5's look for the old row: the ingest writer uses it
// for ids above the block's highest).
std::string alert_fts_insert_sql(const std::string& block, bool replace = true);

// Registers vigil_fts_has(match, id) on a read connection: 1 when `id` is
// in the match set of FTS5 expression `match` (ask only for ids of alerts
// that exist: a deleted alert's row can still match) (a bound parameter, the same
// for every row of the statement), else 0. For a term found in many alerts:
// the list walks alerts newest first and asks per row, so only the matches
// near the rows walked are read. The set is read lazily from both ends of the
// index (rowid descending and ascending, whichever end is nearer the id
// asked), marked in a bitmap and kept for the statement's run (freed at its
// reset), so a run reads each match at most once whatever order rows come in.
// Called from statements on that connection's thread only.
bool register_fts_has_function(Db& db, std::string* error);

// The match bits of closed blocks of the index (blocks that take no new
// alerts' rows), kept across requests, least recently used dropped past
// max_bytes: a filter cache, as a search engine keeps one per segment. A
// dashboard asked again with the same free text reads only the newest
// block. clear() (which also makes a put() of a read that began before it a
// no-op) whenever the index changes other than by new alerts' rows in the
// newest block: a block dropped, rows deleted or indexed again, an id given
// out again. Thread-safe.
class FtsMatchCache {
 public:
  explicit FtsMatchCache(size_t max_bytes = size_t{64} << 20) : max_(max_bytes) {}
  std::shared_ptr<const std::vector<uint64_t>> get(const std::string& block, const std::string& match);
  // Kept only when no clear() came since generation() returned gen.
  void put(const std::string& block, const std::string& match,
           std::shared_ptr<const std::vector<uint64_t>> bits, uint64_t gen);
  void clear();
  uint64_t generation();
  size_t bytes();

 private:
  using Key = std::pair<std::string, std::string>;
  struct Entry {
    Key key;
    std::shared_ptr<const std::vector<uint64_t>> bits;
    size_t bytes;
  };
  std::mutex mu_;
  std::list<Entry> lru_;
  std::map<Key, std::list<Entry>::iterator> at_;
  size_t bytes_ = 0, max_;
  uint64_t gen_ = 0;
};

struct FtsBitsOptions {
  // Read in two parts at once (the second on a connection of its own to the
  // file attached as "text") from this many ids.
  int64_t split_min = int64_t{1} << 18;
  // Keep and reuse closed blocks' bits here, for blocks whose ids are all at
  // most complete_through (every alert up to it is in the index).
  FtsMatchCache* cache = nullptr;
  int64_t complete_through = 0;
};

// Sets bit (id - lo) of *bits (sized for [lo, hi]) for each id in [lo, hi]
// whose row in a block of the index matches FTS5 expression `match` (a
// deleted alert's row can still match: callers ask only about alerts that
// exist). Reads only the blocks over that range, each within it (a closed
// block with a cache: whole). `db` is the store's read connection. false
// (with *error) when the index cannot be read.
bool fts_match_bits(Db& db, const std::string& match, int64_t lo, int64_t hi, std::vector<uint64_t>* bits,
                    std::string* error, const FtsBitsOptions& options = {});

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
