// File keywords (Suricata 7), on the files the app layer tracks
// (agent/app/file_tracker.h):
//   file.name / file.magic          sticky buffers (registered with the others)
//   filename:"x" / filemagic:"x"    legacy forms: content "x" (nocase) on that
//                                   buffer, "!" negates; without a value they
//                                   select the buffer like file.name / file.magic
//   fileext:"exe"                   file.name ends with ".exe" (nocase)
//   filesize:N, <N, >N, A<>B        size of the closed (or truncated) file
//   filemd5 / filesha1 / filesha256:[!]LIST   the file's hash is (is not) in
//                                   LIST, a file of hex hashes relative to the
//                                   rule file (one per line, the first word;
//                                   empty lines and # comments skipped)
//   filestore                       the matching transaction's file (in the
//                                   direction inspected) is written to the file
//                                   store once it is closed
// The hash buffers (file.md5, file.sha1, file.sha256: lower-case hex) exist
// only once a file is closed, so filemd5 and friends are evaluated then.
#include <cctype>
#include <fstream>
#include <memory>
#include <unordered_set>

#include "common/encoding.h"
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

// filename / filemagic: a value is the legacy content form; no value selects
// the buffer (as file.name / file.magic).
std::string legacy_or_sticky(ParseState& st, std::string_view v, BufferId slot) {
  if (trim(v).empty()) {
    st.cur_slot = int(slot);
    st.slot_explicit = true;
    st.last_op = nullptr;
    st.last_content_op = nullptr;
    return "";
  }
  return add_value_content(st, v, slot, {.nocase = true});
}

std::string kw_filename(ParseState& st, std::string_view v) {
  return legacy_or_sticky(st, v, BufferId::kFileName);
}
std::string kw_filemagic(ParseState& st, std::string_view v) {
  return legacy_or_sticky(st, v, BufferId::kFileMagic);
}

std::string kw_fileext(ParseState& st, std::string_view v) {
  auto u = unquote(trim(v));
  if (!u.empty() && u[0] == '.') return "fileext takes the extension without its dot";
  return add_value_content(st, v, BufferId::kFileName, {.prefix = ".", .nocase = true, .endswith = true});
}

// Sizes may carry Suricata's units (kb, mb, gb; powers of 1024).
bool parse_size(std::string_view s, int64_t& out) {
  s = trim(s);
  int64_t mul = 1;
  std::string low(s);
  for (auto& ch : low) ch = char(std::tolower(uint8_t(ch)));
  for (auto [suffix, m] : {std::pair<std::string_view, int64_t>{"kb", 1024},
                           {"mb", 1024 * 1024},
                           {"gb", int64_t(1024) * 1024 * 1024}}) {
    if (std::string_view(low).ends_with(suffix)) {
      mul = m;
      s = trim(s.substr(0, s.size() - 2));
      break;
    }
  }
  if (!parse_i64(s, out) || out < 0) return false;
  out *= mul;
  return true;
}

std::string kw_filesize(ParseState& st, std::string_view v) {
  TxIntCond c;
  c.field = TxInt::kFileSize;
  std::string_view t = trim(v);
  bool ok;
  if (auto r = t.find("<>"); r != std::string_view::npos) {
    c.cmp.op = IntCmp::kRange;
    ok = parse_size(t.substr(0, r), c.cmp.a) && parse_size(t.substr(r + 2), c.cmp.b) && c.cmp.a < c.cmp.b;
  } else {
    c.cmp.op = IntCmp::kEq;
    t.remove_prefix(cmp_op_prefix(t, kCmpLt | kCmpGt | kCmpLe | kCmpGe | kCmpEq, c.cmp.op));
    ok = parse_size(t, c.cmp.a);
  }
  if (!ok) return "invalid filesize '" + std::string(v) + "'";
  st.rule.tx_ints.push_back(c);
  return "";
}

// The whole buffer (a hex digest) is (not) in a loaded hash list.
struct HashListOp : BufOp {
  HashListOp() : BufOp(OpKind::kDataset) {}
  bool negated = false;
  std::shared_ptr<const std::unordered_set<std::string>> hashes;
  bool apply(BufCtx& c, size_t&) const override {
    std::string_view buf(reinterpret_cast<const char*>(c.data), c.len);
    return hashes->contains(std::string(buf)) != negated;
  }
};

std::string load_hashes(const std::string& path, size_t hex_len, std::unordered_set<std::string>& out) {
  std::ifstream in(path);
  if (!in) return "cannot read hash list " + path;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string_view t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    t = t.substr(0, t.find_first_of(" \t"));
    if (t.size() != hex_len)
      return path + ":" + std::to_string(n) + ": not a " + std::to_string(hex_len) + "-digit hex hash";
    std::string h(t);
    for (auto& ch : h) {
      if (hexval(ch) < 0) return path + ":" + std::to_string(n) + ": not a hex hash";
      ch = char(std::tolower(uint8_t(ch)));
    }
    out.insert(std::move(h));
  }
  if (out.empty()) return "hash list " + path + " holds no hash";
  return "";
}

template <BufferId Slot, size_t HexLen>
std::string kw_filehash(ParseState& st, std::string_view v) {
  v = trim(v);
  auto op = std::make_unique<HashListOp>();
  if (!v.empty() && v[0] == '!') {
    op->negated = true;
    v = trim(v.substr(1));
  }
  v = unquote(v);
  if (v.empty()) return std::string(st.keyword) + " needs a hash list file";
  static const RuleFileScope kLocal;
  const RuleFileScope& scope = st.file_scope ? *st.file_scope : kLocal;
  std::string path;
  if (auto err = resolve_rule_file(v, st.rule_dir, scope, true, &path); !err.empty()) return err;
  auto set = std::make_shared<std::unordered_set<std::string>>();
  if (auto err = load_hashes(path, HexLen, *set); !err.empty()) return err;
  op->hashes = std::move(set);
  st.add_op(int(Slot), std::move(op));
  return "";
}

std::string kw_filestore(ParseState& st, std::string_view v) {
  // Suricata's optional direction and scope (filestore:to_server,file) are
  // accepted; the file stored is the one of the direction that matched.
  for (auto part : split(v, ',')) {
    if (part.empty() || part == "request" || part == "response" || part == "to_server" ||
        part == "to_client" || part == "both" || part == "file" || part == "tx" || part == "ssn" ||
        part == "flow")
      continue;
    return "invalid filestore option '" + std::string(part) + "'";
  }
  st.rule.filestore = true;
  return "";
}

}  // namespace

void add_file_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"filename", kw_filename});
  t.push_back({"filemagic", kw_filemagic});
  t.push_back({"fileext", kw_fileext});
  t.push_back({"filesize", kw_filesize});
  t.push_back({"filemd5", kw_filehash<BufferId::kFileMd5, 32>});
  t.push_back({"filesha1", kw_filehash<BufferId::kFileSha1, 40>});
  t.push_back({"filesha256", kw_filehash<BufferId::kFileSha256, 64>});
  t.push_back({"filestore", kw_filestore});
}

}  // namespace vigil::rules
