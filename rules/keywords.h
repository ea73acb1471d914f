// The keyword table: every rule option the parser understands, each a small
// function that validates its value and adds an immutable option object to
// the rule being built (STYLE lesson 4). One table, filled from the kw_*.cpp
// files; the parser looks keywords up by name.
//
// Used only at load time (single thread).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/buffer_names.h"
#include "rules/dataset.h"
#include "rules/rule.h"
#include "rules/rule_file_scope.h"

namespace vigil::rules {

class IpRep;

enum class Dialect : uint8_t { kSuricata, kSnort3 };

struct ClassType {
  std::string description;
  int priority = 3;
};
using ClassMap = std::map<std::string, ClassType, std::less<>>;

// What the parser knows while building one rule.
struct ParseState {
  explicit ParseState(Rule& r) : rule(r) {}
  Rule& rule;
  Dialect dialect = Dialect::kSuricata;
  const ClassMap* classes = nullptr;
  int cur_slot = kSlotPayload;           // sticky buffer for the next content/pcre
  bool slot_explicit = false;            // a sticky buffer keyword was seen
  BufOp* last_op = nullptr;              // last content/pcre/byte op (for modifiers)
  int last_op_slot = kSlotPayload;       // the list last_op lives in
  ContentOp* last_content_op = nullptr;  // content modifiers apply to it, even after isdataat/bsize
  int last_content_slot = kSlotPayload;
  BufferList* base64_list = nullptr;  // ops after base64_data (inside the last base64_decode)
  // Datasets of this load by name (shared across rules), and the directory
  // relative dataset files are read from (the rule file's), unless
  // file_scope confines them (a rule set from the collector; null: Suricata's
  // behaviour).
  std::map<std::string, std::shared_ptr<Dataset>>* datasets = nullptr;
  std::string_view rule_dir;
  const RuleFileScope* file_scope = nullptr;

  std::shared_ptr<const IpRep> iprep;  // the load's IP reputation; null when none is configured
  std::vector<std::string> var_names;  // byte_extract/byte_math results, index = var
  std::string unsupported;             // set when the rule uses an unsupported keyword/value
  std::string_view keyword;            // the keyword being parsed (shared handlers use it)

  BufferList& list(int slot);
  // Appends an op to the list of `slot` and remembers it as last_op.
  BufOp* add_op(int slot, std::unique_ptr<BufOp> op);
  // Moves last_op (a content) into `slot` (legacy http_uri-style modifiers).
  std::string move_last_content(int slot);
  ContentOp* last_content() const { return last_content_op; }
  int var_index(std::string_view name) const;
  // Parses a number or a byte_extract variable name.
  bool int_arg(std::string_view s, IntArg& out) const;
};

// Returns "" on success or the reason the option is invalid.
using KeywordFn = std::string (*)(ParseState& st, std::string_view value);

struct KeywordDef {
  std::string_view name;
  KeywordFn fn;
};

// nullptr when the keyword is unknown.
const KeywordDef* find_keyword(std::string_view name);

// Registration hooks of the kw_*.cpp files.
void add_meta_keywords(std::vector<KeywordDef>& t);
void add_content_keywords(std::vector<KeywordDef>& t);
void add_pcre_keywords(std::vector<KeywordDef>& t);
void add_byte_keywords(std::vector<KeywordDef>& t);
void add_packet_keywords(std::vector<KeywordDef>& t);
void add_flow_keywords(std::vector<KeywordDef>& t);
void add_buffer_keywords(std::vector<KeywordDef>& t);
void add_stream_keywords(std::vector<KeywordDef>& t);
void add_tls_keywords(std::vector<KeywordDef>& t);
void add_base64_keywords(std::vector<KeywordDef>& t);
void add_dataset_keywords(std::vector<KeywordDef>& t);
void add_iprep_keywords(std::vector<KeywordDef>& t);
void add_file_keywords(std::vector<KeywordDef>& t);
void add_ftp_keywords(std::vector<KeywordDef>& t);
void add_http2_keywords(std::vector<KeywordDef>& t);
void add_dcerpc_keywords(std::vector<KeywordDef>& t);
void add_dns_keywords(std::vector<KeywordDef>& t);

// After a rule's options are parsed (kw_content.cpp): bsize conditions that
// exclude each other or the buffer's only content. "" or the reason.
std::string check_bsize(const Rule& r);

// After a rule's options are parsed (kw_packet.cpp): a rule whose only match
// is app-layer-protocol (no header protocol, payload or buffer; flow only
// to_server/to_client; flowbits only set) is Suricata's "protocol detection
// only" signature, checked once per direction when detection of that
// direction ended (FlowView::proto_done_pending), not on every packet.
void mark_proto_detect_only(Rule& r);

// The protocol masks of r's positive app-layer-protocol options (kw_packet.cpp):
// the rule needs, for each, one of the protocols in it. Negated options and
// those that accept "unknown" are left out (they can match without a parser).
std::vector<uint32_t> app_layer_protocol_needs(const Rule& r);

// ssh.protoversion:VALUE / ssh.softwareversion:VALUE on `slot` (kw_ssh.cpp).
std::string ssh_value_keyword(ParseState& st, int slot, std::string_view value);

// Helpers shared by keyword files.
std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
bool parse_i64(std::string_view s, int64_t& out);
// Decodes a quoted content string: escapes (\" \; \\ \:) and |hex| blocks.
bool decode_content(std::string_view s, std::string& out, std::string& err);
// Removes surrounding quotes, if any.
std::string_view unquote(std::string_view s);

// The legacy value form of a buffer keyword (tls.subject:"x", filename:"x",
// fileext:"x"; kw_buffer.cpp): one content on `slot` made of `prefix` and the
// value (quotes removed, backslash escapes, a leading `!` negates).
struct ValueContent {
  std::string prefix = {};
  bool lowercase = false;  // the value is lowercased (tls.fingerprint)
  bool nocase = false;
  bool endswith = false;
};
std::string add_value_content(ParseState& st, std::string_view v, BufferId slot, const ValueContent& how);

}  // namespace vigil::rules
