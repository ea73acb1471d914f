// The SQLite side of rule-set versions and disabled signatures: table
// rulesets (created with the store's schema; columns author and base added
// on open) and rule_disabled, and the statements SqliteStore runs on them.
//
// SqliteStore calls these with its write or read connection and holds that
// connection's mutex for the whole call; nothing here locks or keeps state.
// Writes run in their own transaction and roll back on any failure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

namespace vigil::collector::sqlite_rulesets {

// CREATE TABLE IF NOT EXISTS rule_disabled.
extern const char* const kSchema;

StoreStatus put_ruleset(Db& w, const std::string& text, const nlohmann::json& report, int64_t now,
                        const std::string& author, std::string* version);
std::optional<RulesetRecord> current_ruleset(Db& r);
std::vector<RulesetRecord> list_rulesets(Db& r, int limit);
std::optional<RulesetRecord> get_ruleset(Db& r, const std::string& version);
StoreStatus set_rule_enabled(Db& w, int64_t sid, bool enabled, const std::string& reason,
                             const std::string& author, int64_t now, AuditEntry audit, RuleToggle* result,
                             std::string* version);
std::vector<DisabledRule> list_disabled_rules(Db& r);

}  // namespace vigil::collector::sqlite_rulesets
