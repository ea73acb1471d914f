// pcre: PCRE2 with JIT (compiled at first use). Flags as Suricata and Snort 3 read them; the HTTP
// flags (U, H, P, ...) put the expression on the matching buffer.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <mutex>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

// Suricata's default limits: a hostile payload must not stall a worker.
constexpr uint32_t kMatchLimit = 3500;
constexpr uint32_t kDepthLimit = 1500;

struct Pcre2Thread {
  pcre2_match_data* md = pcre2_match_data_create(32, nullptr);
  pcre2_match_context* mc = [] {
    auto* c = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(c, kMatchLimit);
    pcre2_set_depth_limit(c, kDepthLimit);
    return c;
  }();
  ~Pcre2Thread() {
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
  }
};

// Per-thread match data: created once per worker, reused for every packet.
Pcre2Thread& pcre_thread() {
  thread_local Pcre2Thread t;
  return t;
}

struct PcreOp : BufOp {
  PcreOp() : BufOp(OpKind::kPcre) {}
  ~PcreOp() override { pcre2_code_free(code); }
  pcre2_code* code = nullptr;
  bool negated = false;
  // JIT-compiled on first use: most of a big rule set's expressions never
  // run (the prefilter rules them out), and compiling them all up front was
  // a sixth of ET Open's load time. call_once makes other workers wait for
  // the compile instead of matching against a code object being changed.
  mutable std::once_flag jit_once;
  bool apply(BufCtx& c, size_t& cursor) const override {
    std::call_once(jit_once, [this] { pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); });
    auto& t = pcre_thread();
    size_t start = relative ? cursor : 0;
    if (start > c.len) return negated;
    int rc = pcre2_match(code, c.data + start, c.len - start, 0, 0, t.md, t.mc);
    if (rc < 0) return negated;
    if (negated) return false;
    cursor = start + pcre2_get_ovector_pointer(t.md)[1];
    return true;
  }
};

int flag_slot(char f) {
  switch (f) {
    case 'U':
      return int(BufferId::kHttpUri);
    case 'I':
      return int(BufferId::kHttpUriRaw);
    case 'P':
      return int(BufferId::kHttpRequestBody);
    case 'Q':
      return int(BufferId::kHttpResponseBody);
    case 'H':
      return int(BufferId::kHttpHeader);
    case 'D':
      return int(BufferId::kHttpHeaderRaw);
    case 'M':
      return int(BufferId::kHttpMethod);
    case 'C':
      return int(BufferId::kHttpCookie);
    case 'K':
      return int(BufferId::kHttpCookie);
    case 'S':
      return int(BufferId::kHttpStatCode);
    case 'Y':
      return int(BufferId::kHttpStatMsg);
    case 'V':
      return int(BufferId::kHttpUserAgent);
    case 'W':
      return int(BufferId::kHttpHost);
    case 'Z':
      return int(BufferId::kHttpHostRaw);
    default:
      return -2;
  }
}

std::string kw_pcre(ParseState& st, std::string_view v) {
  v = trim(v);
  bool negated = false;
  if (!v.empty() && v[0] == '!') {
    negated = true;
    v = trim(v.substr(1));
  }
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return "pcre must be a quoted string";
  v = v.substr(1, v.size() - 2);
  if (v.empty() || v[0] != '/') return "pcre must start with '/'";
  auto last = v.rfind('/');
  if (last == 0) return "pcre without closing '/'";
  std::string_view re = v.substr(1, last - 1), flags = v.substr(last + 1);
  uint32_t opts = 0;
  bool relative = false;
  int slot = st.cur_slot;
  for (char f : flags) {
    switch (f) {
      case 'i':
        opts |= PCRE2_CASELESS;
        break;
      case 's':
        opts |= PCRE2_DOTALL;
        break;
      case 'm':
        opts |= PCRE2_MULTILINE;
        break;
      case 'x':
        opts |= PCRE2_EXTENDED;
        break;
      case 'A':
        opts |= PCRE2_ANCHORED;
        break;
      case 'E':
        opts |= PCRE2_DOLLAR_ENDONLY;
        break;
      case 'G':
        opts |= PCRE2_UNGREEDY;
        break;
      case 'R':
        relative = true;
        break;
      case 'O':
      case 'B':
        break;  // match-limit override / rawbytes: no effect here
      default: {
        int s = flag_slot(f);
        if (s < 0) return std::string("unknown pcre flag '") + f + "'";
        slot = s;
      }
    }
  }
  if (relative && st.last_op && slot == st.cur_slot && !st.slot_explicit) slot = st.last_op_slot;
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  auto* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(re.data()), re.size(), opts, &errcode, &erroff, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[160];
    pcre2_get_error_message(errcode, buf, sizeof buf);
    return "pcre compile error at offset " + std::to_string(erroff) + ": " + reinterpret_cast<char*>(buf);
  }
  auto op = std::make_unique<PcreOp>();
  op->code = code;
  op->negated = negated;
  op->relative = relative;
  st.add_op(slot, std::move(op));
  return "";
}

}  // namespace

void add_pcre_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"pcre", kw_pcre});
}

}  // namespace vigil::rules
