#include "collector/sources/rule_sources.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "collector/server.h"
#include "common/file_io.h"

namespace vigil::collector {
namespace {

bool gunzip(const std::string& in, std::string* out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char buf[1 << 16];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out->append(buf, sizeof buf - z.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return rc == Z_STREAM_END;
}

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
  auto res = cli.Get(path.c_str());
  if (!res || res->status != 200) {
    *error = url + ": " + (res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error()));
    return false;
  }
  *body = std::move(res->body);
  return true;
}

std::optional<uint32_t> rule_sid(const std::string& rule) {
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

bool untar_gz(const std::string& data, std::vector<RuleFile>* out, std::string* error) {
  std::string tar;
  if (!gunzip(data, &tar)) {
    *error = "not a valid gzip stream";
    return false;
  }
  size_t off = 0;
  bool ended = false;
  while (off + 512 <= tar.size()) {
    const char* h = tar.data() + off;
    if (h[0] == '\0') {  // end-of-archive blocks
      ended = true;
      break;
    }
    std::string name(h, strnlen(h, 100));
    std::string prefix(h + 345, strnlen(h + 345, 155));  // ustar
    if (!prefix.empty()) name = prefix + "/" + name;
    uint64_t size = 0;
    for (int i = 124; i < 136 && h[i]; ++i) {
      if (h[i] >= '0' && h[i] <= '7') size = size * 8 + static_cast<uint64_t>(h[i] - '0');
    }
    char type = h[156];
    off += 512;
    if (off + size > tar.size()) {
      *error = "truncated tar entry " + name;
      return false;
    }
    if (type == '0' || type == '\0') out->push_back({name, tar.substr(off, size)});
    off += (size + 511) / 512 * 512;
  }
  if (!ended && off != tar.size()) {
    *error = "truncated tar archive";
    return false;
  }
  return true;
}

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
    auto sid = rule_sid(body);
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
    bool gz = data.size() > 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
              static_cast<unsigned char>(data[1]) == 0x8b;
    if (gz) {
      if (!untar_gz(data, &files, &err)) {
        r.error = "source " + src.name + ": " + err;
        return r;
      }
    } else {
      files.push_back({src.url.substr(src.url.find_last_of('/') + 1), data});
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
  int status = upload_ruleset(store, validator, text, true, &r.report);
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
  try {
    YAML::Node y = YAML::LoadFile(yaml_path)["rule_policy"];
    if (!y) return true;
    for (const auto& n : y["enable_sids"]) p->enable_sids.insert(n.as<uint32_t>());
    for (const auto& n : y["disable_sids"]) p->disable_sids.insert(n.as<uint32_t>());
    for (const auto& n : y["enable_regex"]) p->enable_regex.push_back(n.as<std::string>());
    for (const auto& n : y["disable_regex"]) p->disable_regex.push_back(n.as<std::string>());
    for (const auto& n : y["disable_categories"]) p->disable_categories.insert(n.as<std::string>());
    for (const auto& n : y["modify"]) {
      p->modify.push_back(
          {n["sid"].as<uint32_t>(0), n["from"].as<std::string>(), n["to"].as<std::string>("")});
    }
    for (const auto& n : y["local_rules"]) p->local_rules.push_back(n.as<std::string>());
  } catch (const std::exception& e) {
    *error = yaml_path + ": rule_policy: " + e.what();
    return false;
  }
  return true;
}

}  // namespace vigil::collector
