#include "collector/sources/rule_sources.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "collector/server.h"
#include "common/file_io.h"

namespace vigil::collector {
namespace {

constexpr size_t kMaxDownloadBytes = 256u << 20;

std::string md5_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 15];
  }
  return s;
}

// GET of an http:// or https:// URL (https verified with the system CAs).
bool fetch(const std::string& url, std::string* body, std::string* error) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    *error = "bad URL " + url;
    return false;
  }
  size_t path_at = url.find('/', scheme_end + 3);
  std::string base = url.substr(0, path_at), path = path_at == std::string::npos ? "/" : url.substr(path_at);
  httplib::Client cli(base);
  cli.set_follow_location(true);
  cli.set_connection_timeout(10, 0);
  cli.set_read_timeout(120, 0);
  // The body is capped while it arrives: a feed is tens of MiB, a hostile
  // server's answer is not.
  body->clear();
  bool too_big = false;
  auto res = cli.Get(path.c_str(), [&](const char* data, size_t n) {
    if (body->size() + n > kMaxDownloadBytes) {
      too_big = true;
      return false;
    }
    body->append(data, n);
    return true;
  });
  if (too_big) {
    *error = url + ": larger than " + std::to_string(kMaxDownloadBytes >> 20) + " MiB";
    return false;
  }
  if (!res || res->status != 200) {
    *error = url + ": " + (res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error()));
    return false;
  }
  return true;
}

// The last path segment of a URL, without query or fragment: "emerging.rules.tar.gz".
std::string url_file_name(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  return path.substr(path.find_last_of('/') + 1);
}

std::optional<uint32_t> source_rule_sid(const std::string& rule) {
  static const std::regex kSid(R"(\bsid\s*:\s*(\d+)\s*;)");
  std::smatch m;
  if (!std::regex_search(rule, m, kSid)) return std::nullopt;
  return static_cast<uint32_t>(std::stoul(m[1]));
}

std::string stem(const std::string& name) {
  std::string s = name.substr(name.find_last_of('/') + 1);
  if (s.size() > 6 && s.compare(s.size() - 6, 6, ".rules") == 0) s.resize(s.size() - 6);
  return s;
}

bool any_match(const std::vector<std::regex>& res, const std::string& rule) {
  for (const auto& r : res) {
    if (std::regex_search(rule, r)) return true;
  }
  return false;
}

std::vector<std::regex> compile(const std::vector<std::string>& v) {
  std::vector<std::regex> out;
  for (const auto& s : v) out.emplace_back(s);  // throws std::regex_error on a bad pattern
  return out;
}

}  // namespace

std::string apply_policy(const RulePolicy& p, const RuleFile& f) {
  std::string out, line;
  std::istringstream in(f.text);
  bool category_off = p.disable_categories.count(stem(f.name)) > 0;
  const auto enable_re = compile(p.enable_regex), disable_re = compile(p.disable_regex);
  std::vector<std::regex> modify_re;
  for (const auto& m : p.modify) modify_re.emplace_back(m.from);
  while (std::getline(in, line)) {
    // A rule line, active or commented out ("# alert ..."); anything else passes as is.
    size_t first = line.find_first_not_of(" \t");
    bool commented = first != std::string::npos && line[first] == '#';
    size_t rule_at = commented ? line.find_first_not_of("# \t", first) : 0;
    std::string body = rule_at == std::string::npos ? std::string() : line.substr(rule_at);
    auto sid = source_rule_sid(body);
    if (!sid) {
      out += line + "\n";
      continue;
    }
    bool enabled = !commented;
    if (category_off) enabled = false;
    if (p.disable_sids.count(*sid) || any_match(disable_re, body)) enabled = false;
    if (p.enable_sids.count(*sid) || any_match(enable_re, body)) enabled = true;
    for (size_t i = 0; i < p.modify.size(); ++i) {
      if (p.modify[i].sid == 0 || p.modify[i].sid == *sid)
        body = std::regex_replace(body, modify_re[i], p.modify[i].to);
    }
    out += (enabled ? "" : "# ") + body + "\n";
  }
  return out;
}

UpdateResult update_from_sources(Store& store, const RulesetValidator& validator,
                                 const std::vector<RuleSource>& sources, const RulePolicy& policy) {
  UpdateResult r;
  std::string text;
  for (const auto& src : sources) {
    std::string data, err;
    if (!fetch(src.url, &data, &err)) {
      r.error = "source " + src.name + ": " + err;
      return r;
    }
    if (!src.checksum_url.empty()) {
      std::string sum;
      if (!fetch(src.checksum_url, &sum, &err)) {
        r.error = "source " + src.name + " checksum: " + err;
        return r;
      }
      std::string want = sum.substr(0, sum.find_first_of(" \t\r\n"));
      if (want != md5_hex(data)) {
        r.error = "source " + src.name + ": checksum mismatch (download corrupt or changed)";
        return r;
      }
    }
    std::vector<RuleFile> files;
    if (!read_rule_feed(data, url_file_name(src.url), &files, &err)) {
      r.error = "source " + src.name + ": " + err;
      return r;
    }
    for (const auto& f : files) {
      if (f.name.size() < 6 || f.name.compare(f.name.size() - 6, 6, ".rules") != 0) continue;
      try {
        text += "# --- " + src.name + ": " + stem(f.name) + "\n" + apply_policy(policy, f);
      } catch (const std::regex_error& e) {
        r.error = std::string("rule_policy: bad regular expression: ") + e.what();
        return r;
      }
      ++r.files;
    }
  }
  for (const auto& path : policy.local_rules) {
    std::string body;
    if (!read_file(path, body)) {
      r.error = "cannot read local rules " + path;
      return r;
    }
    text += "# --- local: " + path + "\n" + body + "\n";
    ++r.files;
  }
  int status = upload_ruleset(store, validator, text, true, &r.report, "rule_sources");
  if (status != 200) {
    r.error = r.report.value("error", "rule set refused");
    return r;
  }
  r.version = r.report["version"];
  r.ok = true;
  return r;
}

}  // namespace vigil::collector

namespace vigil::collector {

bool load_rule_policy(const std::string& yaml_path, RulePolicy* p, std::string* error) {
  // The keys are declared, converted and checked by the collector's table
  // (collector/config_keys.cpp); only the picking up is here.
  CollectorConfig cfg;
  if (!load_collector_config(yaml_path, &cfg, error)) return false;
  const auto& v = cfg.values;
  for (const auto& s : v.at("rule_policy.enable_sids").list) p->enable_sids.insert(uint32_t(std::stoul(s)));
  for (const auto& s : v.at("rule_policy.disable_sids").list) p->disable_sids.insert(uint32_t(std::stoul(s)));
  p->enable_regex = v.at("rule_policy.enable_regex").list;
  p->disable_regex = v.at("rule_policy.disable_regex").list;
  for (const auto& s : v.at("rule_policy.disable_categories").list) p->disable_categories.insert(s);
  for (const auto& m : v.at("rule_policy.modify").records) {
    p->modify.push_back({uint32_t(std::stoul(m.at("sid"))), m.at("from"), m.at("to")});
  }
  p->local_rules = v.at("rule_policy.local_rules").list;
  return true;
}

}  // namespace vigil::collector
