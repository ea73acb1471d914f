#include "collector/store/alert_fts.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil::collector {
namespace {

// unicode61 with remove_diacritics 2: case folded over all of Unicode and
// accents dropped, so "dang nhap" finds "Đăng nhập" (Đ/đ, a letter of its own
// rather than a D with a mark, is folded to d by fold_sql(), alert_app_text()
// and the query side). Punctuation separates words (no tokenchars): "evil.example.com" is
// three words, so a quoted term matches it as a phrase inside
// "www.evil.example.com" and "example.com" alone finds it too, which one
// token per host name would not. trigram (substring search) was not taken:
// SQLite 3.40's trigram cannot drop accents and its index was 2.4 times as
// large on a 100k store (bench/RESULTS.md). detail=full (the default) keeps
// word positions for the phrases. columnsize=0: no per-row token counts
// (the %_docsize table), which only bm25() ranking reads; the list is
// ordered by time, and each insert wrote one row fewer (a sixth less CPU
// per indexed alert, bench/RESULTS.md). Blocks made before keep theirs.
std::string create_block_sql(const std::string& name) {
  return "CREATE VIRTUAL TABLE \"" + name +
         "\" USING fts5(signature, app, tokenize = 'unicode61 remove_diacritics 2', columnsize = 0);";
}

// The blocks' catalog. Its name starts like theirs so that recovery, which
// copies no alerts_fts* table, leaves it out with them.
constexpr const char* kBlocksTable =
    "CREATE TABLE IF NOT EXISTS alerts_fts_blocks(first_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);";

// The app-layer objects whose string values are indexed: those named here
// and the one named by the alert's app_proto (smb, krb5, ...). Never the
// alert, flow, metadata or packet objects nor top-level strings (payload).
constexpr const char* kAppKeys[] = {"http", "dns",   "tls", "ssh",     "fileinfo",
                                    "smtp", "email", "ftp", "ftp_data"};

// Indexed app-layer text per alert is cut at about this many bytes.
constexpr size_t kAppTextMax = 8192;

std::string fold_sql(const std::string& x) {
  return "replace(replace(" + x + ",'Đ','D'),'đ','d')";
}

bool is_app_key(std::string_view k, std::string_view app_proto) {
  if (k == "alert" || k == "flow" || k == "metadata" || k == "packet_info") return false;
  for (const char* a : kAppKeys)
    if (k == a) return true;
  return !app_proto.empty() && k == app_proto;
}

void collect_strings(simdjson::dom::element e, std::string& out) {
  if (out.size() >= kAppTextMax) return;
  switch (e.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view v;
      if (e.get_string().get(v) == simdjson::SUCCESS && !v.empty()) {
        if (!out.empty()) out.push_back(' ');
        out.append(v);
      }
      break;
    }
    case simdjson::dom::element_type::ARRAY:
      for (auto x : simdjson::dom::array(e)) collect_strings(x, out);
      break;
    case simdjson::dom::element_type::OBJECT:
      for (auto field : simdjson::dom::object(e)) collect_strings(field.value, out);
      break;
    default:
      break;
  }
}

// Databases from before the blocks removed an alert's row with a trigger in
// the same DELETE; drop_main_fts drops it with the rest.
constexpr const char* kDropDeleteTrigger = "DROP TRIGGER IF EXISTS alerts_fts_delete;";

std::string sql_name(const std::string& name) {
  return "\"" + name + "\"";
}

bool has_term_char(std::string_view t) {
  for (unsigned char c : t)
    if (std::isalnum(c) || c >= 0x80) return true;
  return false;
}

// The match set of one expression in one block, read on demand from both
// ends (see register_fts_has_function). Every match >= hi and <= lo is
// marked in `bits` (bit i is rowid min + i); hi and lo are the values each
// cursor points at, already marked.
class BlockMatch {
 public:
  ~BlockMatch() {
    sqlite3_finalize(desc_);
    sqlite3_finalize(asc_);
  }

  // false (with *err) when the index cannot be read.
  bool open(sqlite3* db, const std::string& block, sqlite3_value* match, std::string* err) {
    const std::string t = sql_name(block);
    const std::string sql[] = {"SELECT rowid FROM " + t + " WHERE " + t + " MATCH ?1 ORDER BY rowid DESC",
                               "SELECT rowid FROM " + t + " WHERE " + t + " MATCH ?1 ORDER BY rowid ASC"};
    sqlite3_stmt** st[] = {&desc_, &asc_};
    for (int k = 0; k < 2; ++k) {
      if (sqlite3_prepare_v2(db, sql[k].c_str(), -1, st[k], nullptr) != SQLITE_OK ||
          sqlite3_bind_value(*st[k], 1, match) != SQLITE_OK) {
        *err = sqlite3_errmsg(db);
        return false;
      }
    }
    int rc = sqlite3_step(desc_);
    if (rc == SQLITE_DONE) {
      empty_ = true;
      return true;
    }
    if (rc != SQLITE_ROW || sqlite3_step(asc_) != SQLITE_ROW) {
      *err = sqlite3_errmsg(db);
      return false;
    }
    max_ = hi_ = sqlite3_column_int64(desc_, 0);
    min_ = lo_ = sqlite3_column_int64(asc_, 0);
    bits_.assign(static_cast<size_t>((max_ - min_) / 64 + 1), 0);
    mark(hi_);
    mark(lo_);
    return true;
  }

  // 1 or 0; -1 (with *err) when the index cannot be read.
  int has(sqlite3* db, int64_t id, std::string* err) {
    if (empty_ || id > max_ || id < min_) return 0;
    if (id < hi_ && id > lo_) {
      // Read from the nearer end until that cursor passes id.
      bool down = hi_ - id <= id - lo_;
      sqlite3_stmt* st = down ? desc_ : asc_;
      int64_t& at = down ? hi_ : lo_;
      while (down ? at > id : at < id) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
          at = down ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
          break;
        }
        if (rc != SQLITE_ROW) {
          *err = sqlite3_errmsg(db);
          return -1;
        }
        at = sqlite3_column_int64(st, 0);
        mark(at);
      }
    }
    uint64_t i = static_cast<uint64_t>(id - min_);
    return static_cast<int>((bits_[i / 64] >> (i % 64)) & 1);
  }

 private:
  void mark(int64_t id) {
    uint64_t i = static_cast<uint64_t>(id - min_);
    bits_[i / 64] |= uint64_t{1} << (i % 64);
  }

  sqlite3_stmt* desc_ = nullptr;
  sqlite3_stmt* asc_ = nullptr;
  bool empty_ = false;
  int64_t min_ = 0, max_ = 0, hi_ = 0, lo_ = 0;
  std::vector<uint64_t> bits_;
};

// The match set over every block: an id is asked of the block that covers
// it, opened the first time one of its ids is asked.
class MatchSet {
 public:
  ~MatchSet() { sqlite3_value_free(match_); }

  // false (with *err) when the blocks cannot be listed.
  bool open(sqlite3* db, sqlite3_value* match, std::string* err) {
    match_ = sqlite3_value_dup(match);
    if (!match_) {
      *err = "out of memory";
      return false;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT first_id, name FROM alerts_fts_blocks ORDER BY first_id", -1, &st,
                           nullptr) != SQLITE_OK) {
      *err = sqlite3_errmsg(db);
      return false;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      firsts_.push_back(sqlite3_column_int64(st, 0));
      names_.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
      *err = sqlite3_errmsg(db);
      return false;
    }
    blocks_.resize(names_.size());
    return true;
  }

  // 1 or 0; -1 (with *err) when the index cannot be read.
  int has(sqlite3* db, int64_t id, std::string* err) {
    auto it = std::upper_bound(firsts_.begin(), firsts_.end(), id);
    if (it == firsts_.begin()) return 0;
    size_t i = static_cast<size_t>(it - firsts_.begin()) - 1;
    if (!blocks_[i]) {
      auto b = std::make_unique<BlockMatch>();
      if (!b->open(db, names_[i], match_, err)) return -1;
      blocks_[i] = std::move(b);
    }
    return blocks_[i]->has(db, id, err);
  }

 private:
  sqlite3_value* match_ = nullptr;
  std::vector<int64_t> firsts_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<BlockMatch>> blocks_;
};

void fts_has_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  sqlite3* db = sqlite3_context_db_handle(ctx);
  std::string err;
  auto* set = static_cast<MatchSet*>(sqlite3_get_auxdata(ctx, 0));
  if (!set) {
    auto* fresh = new MatchSet();
    if (!fresh->open(db, argv[0], &err)) {
      delete fresh;
      sqlite3_result_error(ctx, ("vigil_fts_has: " + err).c_str(), -1);
      return;
    }
    // SQLite owns it from here (deleted at once when it cannot keep it).
    sqlite3_set_auxdata(ctx, 0, fresh, [](void* p) { delete static_cast<MatchSet*>(p); });
    set = static_cast<MatchSet*>(sqlite3_get_auxdata(ctx, 0));
    if (!set) {
      sqlite3_result_error(ctx, "vigil_fts_has: match set not kept", -1);
      return;
    }
  }
  int r = set->has(db, sqlite3_value_int64(argv[1]), &err);
  if (r < 0) {
    sqlite3_result_error(ctx, ("vigil_fts_has: " + err).c_str(), -1);
    return;
  }
  sqlite3_result_int(ctx, r);
}

}  // namespace

bool register_fts_has_function(Db& db, std::string* error) {
  if (sqlite3_create_function_v2(db.get(), "vigil_fts_has", 2, SQLITE_UTF8, nullptr, fts_has_fn, nullptr,
                                 nullptr, nullptr) != SQLITE_OK) {
    *error = "cannot register vigil_fts_has: " + db.errmsg();
    return false;
  }
  return true;
}

std::shared_ptr<const std::vector<uint64_t>> FtsMatchCache::get(const std::string& block,
                                                                const std::string& match) {
  std::lock_guard lk(mu_);
  auto it = at_.find({block, match});
  if (it == at_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bits;
}

void FtsMatchCache::put(const std::string& block, const std::string& match,
                        std::shared_ptr<const std::vector<uint64_t>> bits, uint64_t gen) {
  std::lock_guard lk(mu_);
  if (gen != gen_ || at_.count({block, match})) return;
  const size_t n = bits->size() * sizeof(uint64_t) + block.size() + match.size() + 128;
  if (n > max_) return;
  lru_.push_front({{block, match}, std::move(bits), n});
  at_[lru_.front().key] = lru_.begin();
  bytes_ += n;
  while (bytes_ > max_) {
    bytes_ -= lru_.back().bytes;
    at_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void FtsMatchCache::clear() {
  std::lock_guard lk(mu_);
  ++gen_;
  at_.clear();
  lru_.clear();
  bytes_ = 0;
}

uint64_t FtsMatchCache::generation() {
  std::lock_guard lk(mu_);
  return gen_;
}

size_t FtsMatchCache::bytes() {
  std::lock_guard lk(mu_);
  return bytes_;
}

namespace {

// The blocks, oldest first; false (with *error) when the catalog cannot be read.
bool read_fts_blocks(Db& db, std::vector<FtsBlock>* out, std::string* error) {
  Stmt cat = db.prepare("SELECT first_id, name FROM alerts_fts_blocks ORDER BY first_id");
  int rc = SQLITE_ERROR;
  if (cat.valid())
    while ((rc = cat.step()) == SQLITE_ROW) out->push_back({cat.col_int(0), cat.col_text(1)});
  if (rc == SQLITE_DONE) return true;
  *error = db.errmsg();
  return false;
}

// One read of the index: the matches of block `block` among ids [a, b].
struct BitsRead {
  std::string block;
  int64_t a = 0, b = 0;
  bool keep = false;  // a closed block read whole, for the cache
  std::shared_ptr<std::vector<uint64_t>> bits;
};

bool read_bits(Db& db, const std::string& match, BitsRead* r, std::string* error) {
  r->bits = std::make_shared<std::vector<uint64_t>>(static_cast<size_t>((r->b - r->a) / 64 + 1), 0);
  const std::string t = "\"" + r->block + "\"";
  Stmt st = db.prepare("SELECT rowid FROM " + t + " WHERE " + t + " MATCH ?1 AND rowid BETWEEN ?2 AND ?3");
  if (!st.valid()) {
    *error = db.errmsg();
    return false;
  }
  st.bind(1, match).bind(2, r->a).bind(3, r->b);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    const int64_t id = st.col_int(0);
    if (id < r->a || id > r->b) continue;
    const auto at = static_cast<uint64_t>(id - r->a);
    (*r->bits)[at / 64] |= uint64_t{1} << (at % 64);
  }
  if (rc != SQLITE_DONE) {
    *error = db.errmsg();
    return false;
  }
  return true;
}

// The set bits of `src` (ids from src_lo) within [lo, hi], into `dst` (ids
// from lo), a word at a time.
void or_bits(const std::vector<uint64_t>& src, int64_t src_lo, std::vector<uint64_t>* dst, int64_t lo,
             int64_t hi) {
  const int64_t src_hi = src_lo + static_cast<int64_t>(src.size()) * 64 - 1;
  const int64_t a = std::max(lo, src_lo), b = std::min(hi, src_hi);
  if (a > b) return;
  for (int64_t w = (a - src_lo) / 64; w <= (b - src_lo) / 64; ++w) {
    uint64_t word = src[static_cast<size_t>(w)];
    if (!word) continue;
    const int64_t base = src_lo + w * 64;  // the id of bit 0
    if (base < a) word &= ~uint64_t{0} << (a - base);
    if (base + 63 > b) word &= ~uint64_t{0} >> (base + 63 - b);
    if (!word) continue;
    const int64_t off = base - lo;  // where bit 0 goes in dst
    if (off < 0) {
      (*dst)[0] |= word >> (-off);
      continue;
    }
    const auto i = static_cast<size_t>(off / 64);
    const int sh = static_cast<int>(off % 64);
    (*dst)[i] |= word << sh;
    if (sh && i + 1 < dst->size()) (*dst)[i + 1] |= word >> (64 - sh);
  }
}

}  // namespace

bool fts_match_bits(Db& db, const std::string& match, int64_t lo, int64_t hi, std::vector<uint64_t>* bits,
                    std::string* error, const FtsBitsOptions& o) {
  std::vector<FtsBlock> blocks;
  if (!read_fts_blocks(db, &blocks, error)) return false;
  const uint64_t gen = o.cache ? o.cache->generation() : 0;
  std::vector<BitsRead> reads;
  int64_t span = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const int64_t first = blocks[i].first_id;
    const int64_t end = i + 1 < blocks.size() ? blocks[i + 1].first_id : INT64_MAX;  // exclusive
    if (first > hi || end <= lo) continue;
    // A block that takes no new alerts, all of whose alerts were indexed
    // before this read: its bits are kept whole.
    const bool closed = o.cache && i + 1 < blocks.size() && end - 1 <= o.complete_through;
    if (closed) {
      if (auto kept = o.cache->get(blocks[i].name, match)) {
        or_bits(*kept, first, bits, lo, hi);
        continue;
      }
    }
    BitsRead r;
    r.block = blocks[i].name;
    r.keep = closed;
    r.a = closed ? first : std::max(lo, first);
    r.b = closed ? end - 1 : std::min(hi, end - 1);
    span += r.b - r.a + 1;
    reads.push_back(std::move(r));
  }
  // Many ids: the reads in two parts at once (by ids read), the second on a
  // connection of its own to the index file. FTS5's reading of the matches
  // is most of the time of a free-text count over many alerts.
  const char* file = sqlite3_db_filename(db.get(), "text");
  size_t cut = reads.size();
  if (span >= std::max<int64_t>(o.split_min, 128) && file && *file && reads.size() > 1 &&
      std::thread::hardware_concurrency() >= 2) {
    int64_t acc = 0;
    for (cut = 0; cut + 1 < reads.size() && acc < span / 2; ++cut) acc += reads[cut].b - reads[cut].a + 1;
  }
  std::string other_err;
  bool other_ok = true;
  std::thread other;
  if (cut < reads.size())
    other = std::thread([&] {
      Db conn;
      other_ok = conn.open(file, &other_err);
      for (size_t i = cut; other_ok && i < reads.size(); ++i)
        other_ok = read_bits(conn, match, &reads[i], &other_err);
    });
  bool ok = true;
  for (size_t i = 0; ok && i < std::min(cut, reads.size()); ++i) ok = read_bits(db, match, &reads[i], error);
  if (other.joinable()) other.join();
  if (!ok) return false;
  if (!other_ok) {
    *error = other_err;
    return false;
  }
  for (BitsRead& r : reads) {
    or_bits(*r.bits, r.a, bits, lo, hi);
    if (r.keep) o.cache->put(r.block, match, std::move(r.bits), gen);
  }
  return true;
}

std::vector<FtsBlock> fts_blocks(Db& db) {
  std::vector<FtsBlock> out;
  std::string ignored;
  read_fts_blocks(db, &out, &ignored);
  return out;
}

std::string alert_text_index_path(const std::string& db_path) {
  const std::string ext = ".db";
  if (db_path.size() > ext.size() && db_path.compare(db_path.size() - ext.size(), ext.size(), ext) == 0)
    return db_path.substr(0, db_path.size() - ext.size()) + "-text.db";
  return db_path + "-text";
}

StoreStatus drop_main_fts(Db& main, int* dropped) {
  *dropped = 0;
  std::vector<std::string> names;
  {
    Stmt st = main.prepare(
        "SELECT type, name FROM sqlite_master WHERE (type='table' AND (name='alerts_fts_blocks' OR (sql LIKE "
        "'CREATE VIRTUAL TABLE%' AND (name='alerts_fts' OR name GLOB 'alerts_fts_b[0-9]*')))) OR "
        "(type='trigger' AND name='alerts_fts_delete')");
    if (!st.valid()) return StoreStatus::error("free-text tables: " + main.errmsg());
    bool any = false;
    while (st.step() == SQLITE_ROW) {
      any = true;
      if (st.col_text(0) == "table") names.push_back(st.col_text(1));
    }
    if (!any) return {};
  }
  std::string err;
  if (!main.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("free-text tables: " + err);
  bool ok = main.exec(kDropDeleteTrigger, &err);
  for (size_t i = 0; ok && i < names.size(); ++i)
    ok = main.exec("DROP TABLE IF EXISTS " + sql_name(names[i]), &err);
  if (!ok || !main.exec("COMMIT", &err)) {
    main.exec("ROLLBACK");
    return StoreStatus::error("free-text tables: " + err);
  }
  *dropped = static_cast<int>(names.size());
  return {};
}

StoreStatus ensure_alert_fts(Db& text, Db& alerts, int64_t* backfilled) {
  *backfilled = 0;
  std::string err;
  if (!text.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("alerts_fts: " + err);
  auto fail = [&](const std::string& what) {
    text.exec("ROLLBACK");
    return StoreStatus::error("alerts_fts " + what + ": " + err);
  };
  if (!text.exec(kBlocksTable, &err)) return fail("blocks");
  auto exists = [&](const std::string& name) {
    Stmt chk = text.prepare("SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type='table' AND name=?)");
    chk.bind(1, name);
    return chk.step() == SQLITE_ROW && chk.col_int(0) != 0;
  };
  std::vector<FtsBlock> blocks = fts_blocks(text);
  bool whole = !blocks.empty();
  for (const auto& b : blocks) whole = whole && exists(b.name);
  if (!whole) {
    // A new file, or one with a block missing: the index is built again
    // from the alerts, in this one transaction.
    for (const auto& b : blocks)
      if (exists(b.name) && !text.exec("DROP TABLE " + sql_name(b.name), &err)) return fail("drop");
    if (exists("alerts_fts") && !text.exec("DROP TABLE alerts_fts", &err)) return fail("drop");
    if (!text.exec(create_block_sql("alerts_fts"), &err)) return fail("create");
    Stmt ins = text.prepare(alert_fts_insert_sql("alerts_fts"));
    Stmt sel = alerts.prepare("SELECT id, signature, json, app_proto FROM alerts");
    if (!ins.valid()) {
      err = text.errmsg();
      return fail("backfill");
    }
    if (!sel.valid()) {
      err = alerts.errmsg();
      return fail("backfill");
    }
    int rc;
    while ((rc = sel.step()) == SQLITE_ROW) {
      const std::string json = sel.col_null(2) ? std::string() : sel.col_text(2);
      const std::string app =
          json.empty() ? std::string() : alert_app_text(json, sel.col_opt_text(3).value_or(""));
      ins.reset();
      ins.bind(1, sel.col_int(0)).bind(2, sel.col_opt_text(1)).bind(3, app);
      if (ins.step() != SQLITE_DONE) {
        err = text.errmsg();
        return fail("backfill");
      }
      ++*backfilled;
    }
    if (rc != SQLITE_DONE) {
      err = alerts.errmsg();
      return fail("backfill");
    }
    if (!text.exec("DELETE FROM alerts_fts_blocks; INSERT INTO alerts_fts_blocks VALUES(0, 'alerts_fts')",
                   &err))
      return fail("blocks");
  }
  if (!text.exec("COMMIT", &err)) return fail("commit");
  return {};
}

StoreStatus add_fts_block(Db& db, int64_t first_id, FtsBlock* out) {
  FtsBlock b{first_id, "alerts_fts_b" + std::to_string(first_id)};
  std::string err;
  if (!db.exec(create_block_sql(b.name), &err)) return StoreStatus::error("free-text block: " + err);
  Stmt ins = db.prepare("INSERT INTO alerts_fts_blocks(first_id, name) VALUES(?, ?)");
  ins.bind(1, b.first_id).bind(2, b.name);
  if (ins.step() != SQLITE_DONE) return StoreStatus::error("free-text block: " + db.errmsg());
  *out = std::move(b);
  return {};
}

StoreStatus drop_empty_fts_blocks(Db& db, Db& alerts, int* dropped) {
  *dropped = 0;
  std::vector<FtsBlock> blocks = fts_blocks(db);
  for (size_t i = 0; i + 1 < blocks.size(); ++i) {
    Stmt any = alerts.prepare("SELECT EXISTS(SELECT 1 FROM alerts WHERE id >= ? AND id < ?)");
    any.bind(1, blocks[i].first_id).bind(2, blocks[i + 1].first_id);
    bool live = any.step() != SQLITE_ROW || any.col_int(0) != 0;
    any = Stmt();
    if (live) continue;
    // The caller is the store's only writer: nothing adds an alert to this
    // range between the check and the drop.
    std::string err;
    Stmt del;
    bool ok = db.exec("BEGIN IMMEDIATE", &err) && db.exec("DROP TABLE " + sql_name(blocks[i].name), &err);
    if (ok) {
      del = db.prepare("DELETE FROM alerts_fts_blocks WHERE first_id = ?");
      del.bind(1, blocks[i].first_id);
      ok = del.step() == SQLITE_DONE;
      if (!ok) err = db.errmsg();
      del = Stmt();
    }
    if (!ok || !db.exec("COMMIT", &err)) {
      db.exec("ROLLBACK");
      return StoreStatus::error("free-text blocks: " + err);
    }
    ++*dropped;
  }
  return {};
}

std::string alert_fts_insert_sql(const std::string& block, bool replace) {
  return std::string(replace ? "INSERT OR REPLACE" : "INSERT") + " INTO " + sql_name(block) +
         "(rowid, signature, app) VALUES(?1, " + fold_sql("?2") + ", ?3)";
}

std::string alert_app_text(std::string_view eve_json, std::string_view app_proto) {
  // Each thread (the ingest callers, the write connection's backfill)
  // keeps its parser's buffers between calls.
  thread_local simdjson::dom::parser parser;
  std::string out;
  simdjson::dom::object doc;
  if (parser.parse(eve_json.data(), eve_json.size()).get(doc) != simdjson::SUCCESS) return out;
  for (auto field : doc)
    if (field.value.is_object() && is_app_key(field.key, app_proto)) collect_strings(field.value, out);
  if (out.size() > kAppTextMax) {
    size_t n = kAppTextMax;
    while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) --n;  // whole UTF-8 characters
    out.resize(n);
  }
  // Đ (C4 90) and đ (C4 91) as d: unicode61 keeps them apart from d.
  std::string folded;
  folded.reserve(out.size());
  for (size_t k = 0; k < out.size(); ++k) {
    if (static_cast<unsigned char>(out[k]) == 0xC4 && k + 1 < out.size() &&
        (static_cast<unsigned char>(out[k + 1]) == 0x90 || static_cast<unsigned char>(out[k + 1]) == 0x91)) {
      folded.push_back(static_cast<unsigned char>(out[k + 1]) == 0x90 ? 'D' : 'd');
      ++k;
    } else {
      folded.push_back(out[k]);
    }
  }
  return folded;
}

std::vector<FtsTerm> fts_terms(std::string_view q) {
  std::vector<FtsTerm> out;
  size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && q[i] == ' ') ++i;
    size_t j = q.find(' ', i);
    if (j == std::string_view::npos) j = q.size();
    std::string_view term = q.substr(i, j - i);
    i = j;
    if (term.empty()) continue;
    bool last = q.find_first_not_of(' ', j) == std::string_view::npos;
    bool prefix = last && term.size() > 1 && term.back() == '*';
    if (prefix) term.remove_suffix(1);
    if (!has_term_char(term)) continue;
    out.push_back({std::string(term), prefix});
  }
  return out;
}

std::optional<std::string> fts_match_expression(std::string_view q) {
  std::string out;
  for (const FtsTerm& t : fts_terms(q)) {
    const std::string& term = t.text;
    const bool prefix = t.prefix;
    std::string quoted = "\"";
    for (size_t k = 0; k < term.size(); ++k) {
      // Đ (C4 90) and đ (C4 91) as d, as the indexed text has them.
      if (static_cast<unsigned char>(term[k]) == 0xC4 && k + 1 < term.size() &&
          (static_cast<unsigned char>(term[k + 1]) == 0x90 ||
           static_cast<unsigned char>(term[k + 1]) == 0x91)) {
        quoted.push_back('d');
        ++k;
        continue;
      }
      if (term[k] == '"') quoted.push_back('"');
      quoted.push_back(term[k]);
    }
    quoted.push_back('"');
    if (prefix) quoted.push_back('*');
    out += out.empty() ? quoted : " AND " + quoted;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace vigil::collector
