#include "collector/store/sqlite_address_index.h"

namespace vigil::collector {
namespace {

void ip16_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const unsigned char* t = sqlite3_value_text(argv[0]);
  std::optional<Ip16> a;
  if (t) a = ip16(std::string_view(reinterpret_cast<const char*>(t), sqlite3_value_bytes(argv[0])));
  if (!a) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_blob(ctx, a->data(), static_cast<int>(a->size()), SQLITE_TRANSIENT);
}

bool has_index(Db& db, const char* name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type='index' AND name=?");
  st.bind(1, std::string_view(name));
  return st.step() == SQLITE_ROW;
}

}  // namespace

bool register_ip16_function(Db& db, std::string* error) {
  int rc = sqlite3_create_function_v2(db.get(), "vigil_ip16", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                      ip16_fn, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    *error = "cannot register vigil_ip16: " + db.errmsg();
    return false;
  }
  return true;
}

void bind_ip16(Stmt& s, int i, const Ip16& a) {
  s.bind_blob(i, a.data(), static_cast<int>(a.size()));
}

void bind_ip16(Stmt& s, int i, const std::optional<std::string>& text) {
  std::optional<Ip16> a;
  if (text) a = ip16(*text);
  if (a)
    bind_ip16(s, i, *a);
  else
    s.bind_null(i);
}

bool migrate_address_index(Db& w, int64_t* backfilled, std::string* error) {
  *backfilled = 0;
  if (!w.exec("BEGIN IMMEDIATE", error)) return false;
  bool needed = !has_index(w, "alerts_src16") || !has_index(w, "alerts_dest16") ||
                has_index(w, "alerts_src") || has_index(w, "alerts_dest");
  if (!needed) return w.exec("COMMIT", error);
  auto fail = [&](const char* what) {
    *error = std::string(what) + ": " + w.errmsg();
    w.exec("ROLLBACK");
    return false;
  };
  if (!register_ip16_function(w, error)) {
    w.exec("ROLLBACK");
    return false;
  }
  // Only rows that have an address but not its BLOB: a second run after an
  // older version wrote rows touches those rows alone.
  auto up = w.prepare(
      "UPDATE alerts SET src_ip16=vigil_ip16(src_ip), dest_ip16=vigil_ip16(dest_ip) "
      "WHERE (src_ip16 IS NULL AND src_ip IS NOT NULL) OR (dest_ip16 IS NULL AND dest_ip IS NOT NULL)");
  if (!up.valid() || up.step() != SQLITE_DONE) return fail("backfill src_ip16/dest_ip16");
  *backfilled = sqlite3_changes(w.get());
  up = Stmt();
  if (!w.exec("CREATE INDEX IF NOT EXISTS alerts_src16 ON alerts(src_ip16, ts);"
              "CREATE INDEX IF NOT EXISTS alerts_dest16 ON alerts(dest_ip16, ts);"
              "DROP INDEX IF EXISTS alerts_src; DROP INDEX IF EXISTS alerts_dest;",
              error)) {
    w.exec("ROLLBACK");
    return false;
  }
  return w.exec("COMMIT", error);
}

}  // namespace vigil::collector
