#include "rules/rule_files.h"

#include <filesystem>
#include <map>

#include "common/file_io.h"

namespace vigil::rules {

namespace {

std::string reason_key(const ParseFailure& f) {
  return f.unsupported ? "unsupported: " + f.keyword : f.reason_class;
}

// The rule reads what only a tracked file provides.
bool uses_files(const Rule& r) {
  if (r.filestore) return true;
  for (auto& t : r.tx_ints)
    if (t.field == TxInt::kFileSize) return true;
  for (auto& l : r.buffers) {
    switch (l.slot) {
      case int(BufferId::kFileName):
      case int(BufferId::kFileMagic):
      case int(BufferId::kFileMd5):
      case int(BufferId::kFileSha1):
      case int(BufferId::kFileSha256):
        return true;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

void set_rule_vars(const LoadOptions& opts, ParseContext& ctx) {
  ctx.addr_vars = default_address_vars();
  ctx.port_vars = default_port_vars();
  for (auto& [k, v] : opts.address_vars) ctx.addr_vars[k] = v;
  for (auto& [k, v] : opts.port_vars) ctx.port_vars[k] = v;
}

bool parse_rule_files(const LoadOptions& opts, ParseContext& ctx, CacheKey& key, LoadReport& report,
                      std::vector<std::unique_ptr<Rule>>& rules) {
  for (auto& [k, v] : ctx.addr_vars) {
    key.add(k);
    key.add(v);
  }
  for (auto& [k, v] : ctx.port_vars) {
    key.add(k);
    key.add(v);
  }
  std::map<std::pair<uint32_t, uint32_t>, const Rule*> seen;
  for (auto& file : opts.files) {
    std::string text;
    if (!read_file(file, text)) {
      report.errors.push_back(file + ": cannot read rule file");
      report.fatal = true;
      return false;
    }
    FileParse fp;
    ctx.rule_dir = std::filesystem::path(file).parent_path().string();
    parse_text(text, file, ctx, fp);
    LoadReport::FileInfo fi;
    fi.path = file;
    fi.dialect = fp.dialect == Dialect::kSnort3 ? "snort3" : "suricata";
    fi.rules_disabled = fp.disabled;
    report.rules_disabled += fp.disabled;
    for (auto& [line, f] : fp.failures) {
      report.errors.push_back(file + ":" + std::to_string(line) + ": sid " + std::to_string(f.sid) + ": " +
                              f.reason);
      ++report.failures_by_reason[reason_key(f)];
      if (f.unsupported) {
        ++report.unsupported_keywords[f.keyword];
        ++report.rules_skipped;
      }
      ++fi.rules_failed;
    }
    for (auto& [line, f] : fp.unmet) {
      report.unmet.push_back(file + ":" + std::to_string(line) + ": sid " + std::to_string(f.sid) + ": " +
                             f.reason);
      ++fi.rules_unmet;
    }
    report.rules_unmet += fi.rules_unmet;
    for (auto& r : fp.rules) {
      auto k = std::make_pair(r->gid, r->sid);
      if (seen.count(k)) {
        report.errors.push_back(file + ":" + std::to_string(r->line) + ": sid " + std::to_string(r->sid) +
                                ": duplicate signature (gid " + std::to_string(r->gid) + ", sid " +
                                std::to_string(r->sid) + ")");
        ++report.failures_by_reason["duplicate sid"];
        ++fi.rules_failed;
        continue;
      }
      seen.emplace(k, r.get());
      key.add(r->text);
      // The text was kept for the cache key; nothing reads it after this.
      // ET Open's is 16 MB of the agent's memory.
      std::string().swap(r->text);
      ++fi.rules_loaded;
      if (uses_files(*r)) ++report.file_rules;
      if (r->list_for(int(BufferId::kFileMagic)) != nullptr) ++report.magic_rules;
      rules.push_back(std::move(r));
    }
    report.rules_loaded += fi.rules_loaded;
    report.rules_failed += fi.rules_failed;
    report.files.push_back(fi);
  }
  return true;
}

}  // namespace vigil::rules
