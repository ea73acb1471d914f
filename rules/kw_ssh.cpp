// The value forms of Suricata's deprecated SSH keywords (still in its 7.x
// documentation): ssh.protoversion:2.0 (the protocol version is exactly the
// value; "2_compat" also accepts 1.99) and ssh.softwareversion:OpenSSH (the
// software version starts with the value). Without a value both names are
// sticky buffers (ssh.proto, ssh.software), handled in kw_buffer.cpp, which
// calls ssh_value_keyword when a value is given.
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

// "2_compat": the protocol version is 2.0 or 1.99 (a 1.99 server speaks both).
struct SshProtoCompatOp : BufOp {
  SshProtoCompatOp() : BufOp(OpKind::kValueTest) {}
  bool apply(BufCtx& c, size_t&) const override {
    std::string_view v(reinterpret_cast<const char*>(c.data), c.len);
    return v == "2.0" || v == "1.99";
  }
};

}  // namespace

std::string ssh_value_keyword(ParseState& st, int slot, std::string_view value) {
  auto v = unquote(trim(value));
  if (v.empty()) return "empty value";
  if (slot == int(BufferId::kSshProto) && v == "2_compat") {
    st.add_op(slot, std::make_unique<SshProtoCompatOp>());
    return "";
  }
  auto op = std::make_unique<ContentOp>();
  op->pattern = std::string(v);
  op->startswith = true;
  op->endswith = slot == int(BufferId::kSshProto);
  st.add_op(slot, std::move(op));
  return "";
}

}  // namespace vigil::rules
