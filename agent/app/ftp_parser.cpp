// FTP command channel (RFC 959, 2228, 2428): one transaction per command with
// its reply or replies (1xx preliminary replies keep it open, multi-line
// replies "123-..." up to "123 ..." are one reply), pipelined commands matched
// to replies in order. A reply before any command (the greeting) or one no
// command waits for gets a transaction without a command.
//
// Buffers: ftp.command (the verb, upper case) and ftp.command_data (what follows
// "VERB ", trailing whitespace cut), both to_server. PORT/EPRT give the
// dynamic port and the ftpbounce value (TxInt::kFtpBounce) with the command,
// PASV/EPSV with their 227/229 reply. AUTH TLS/SSL answered by 234 hands the
// flow to the TLS parser (AppParser::upgrade, as SMTP's STARTTLS does: SNI,
// certificates and JA3 of explicit FTPS; EVE's app_proto becomes tls and
// app_proto_orig ftp); client bytes that follow AUTH are held (<= kMaxHeld)
// until its reply says whether they are commands or TLS. When no reply comes
// within kMaxHeld bytes, the client went on in TLS unanswered: the rest is
// opaque and only counted (app_layer.ftp.encrypted_bytes).
//
// Bounds, each counted when hit: a line keeps kMaxLine bytes (the rest up to
// the LF is dropped, the tx says command_truncated / reply_truncated), a reply
// keeps kMaxReplyLines lines, open transactions max_tx_per_flow.
#include <cctype>
#include <charconv>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/app/ftp_data.h"
#include "agent/app/parsers.h"
#include "agent/app/tx_base.h"

namespace vigil {
namespace {

constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxReplyLines = 64;
constexpr size_t kMaxHeld = 64 * 1024;

enum class Kind : uint8_t { kOther, kPort, kEprt, kPasv, kEpsv, kAuthTls };

class FtpTx : public TxBase {
 public:
  explicit FtpTx(uint64_t id) : TxBase(AppProto::kFtp, id) {}

  bool has_command = false;
  std::string command;  // verb, upper case
  bool has_data = false;
  std::string data;
  bool command_truncated = false;
  std::vector<std::string> reply;  // lines as sent, without the line end
  bool reply_truncated = false;
  bool reply_received = false;  // a final (not 1xx) reply
  Kind kind = Kind::kOther;
  uint16_t dyn_port = 0;
  const char* mode = nullptr;
  int bounce = -1;  // PORT/EPRT: 1 when the address is not the client's

  bool integer(TxInt f, Dir d, int64_t* out) const override {
    if (f == TxInt::kFtpBounce && d == Dir::kToServer && bounce >= 0) {
      *out = bounce;
      return true;
    }
    return false;
  }

  // Suricata 7's EveFTPLogCommand: every reply line is one `reply` entry
  // without its code; the codes of lines that have one in `completion_code`.
  void to_eve(nlohmann::ordered_json& out) const override {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (has_command) j["command"] = eve_string(command);
    if (has_data) {
      j["command_data"] = eve_string(data);
      j["command_truncated"] = command_truncated;
    }
    nlohmann::ordered_json codes = nlohmann::ordered_json::array(), lines = nlohmann::ordered_json::array();
    for (const auto& l : reply) {
      size_t off = 0;
      if (l.size() >= 3 && std::isdigit(uint8_t(l[0])) && std::isdigit(uint8_t(l[1])) &&
          std::isdigit(uint8_t(l[2]))) {
        codes.push_back(l.substr(0, 3));
        off = 4;
      }
      if (l.size() >= off) lines.push_back(eve_string(std::string_view(l).substr(off)));
    }
    if (!codes.empty()) j["completion_code"] = std::move(codes);
    if (!lines.empty()) j["reply"] = std::move(lines);
    if (dyn_port != 0) j["dynamic_port"] = dyn_port;
    if (mode != nullptr) j["mode"] = mode;
    j["reply_received"] = reply_received ? "yes" : "no";
    j["reply_truncated"] = reply_truncated;
    out["ftp"] = std::move(j);
  }
};

std::string_view sv(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
Bytes bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool is_digit3(std::string_view l) {
  return l.size() >= 3 && std::isdigit(uint8_t(l[0])) && std::isdigit(uint8_t(l[1])) &&
         std::isdigit(uint8_t(l[2]));
}

std::string upper(std::string_view s) {
  std::string r(s);
  for (auto& ch : r) ch = char(std::toupper(uint8_t(ch)));
  return r;
}

std::optional<unsigned> number(std::string_view s, unsigned max) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  unsigned v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

struct HostPort {
  IpAddr addr;
  uint16_t port = 0;
};

// "h1,h2,h3,h4,p1,p2" (PORT, and the 227 reply's numbers).
std::optional<HostPort> parse_six(std::string_view s) {
  uint8_t a[4];
  unsigned p[2];
  for (int i = 0; i < 6; ++i) {
    size_t comma = i < 5 ? s.find(',') : s.size();
    if (comma == std::string_view::npos) return std::nullopt;
    auto v = number(s.substr(0, comma), 255);
    if (!v) return std::nullopt;
    if (i < 4)
      a[i] = uint8_t(*v);
    else
      p[i - 4] = *v;
    s.remove_prefix(std::min(s.size(), comma + 1));
  }
  return HostPort{IpAddr::v4(a), uint16_t(p[0] * 256 + p[1])};
}

// EPRT "|1|132.235.1.2|6275|" or "|2|::1|6275|" (any delimiter, RFC 2428).
std::optional<HostPort> parse_eprt(std::string_view s) {
  if (s.size() < 7) return std::nullopt;
  char dl = s[0];
  std::string_view f[3];
  s.remove_prefix(1);
  for (auto& x : f) {
    size_t e = s.find(dl);
    if (e == std::string_view::npos) return std::nullopt;
    x = s.substr(0, e);
    s.remove_prefix(e + 1);
  }
  auto af = number(f[0], 2);
  auto port = number(f[2], 65535);
  auto addr = IpAddr::parse(f[1]);
  if (!af || !port || !addr || *af != (addr->family == 4 ? 1u : 2u)) return std::nullopt;
  return HostPort{*addr, uint16_t(*port)};
}

// 227 "Entering Passive Mode (h1,h2,h3,h4,p1,p2)." (parentheses optional).
std::optional<HostPort> parse_227(std::string_view l) {
  l.remove_prefix(std::min<size_t>(4, l.size()));
  size_t open = l.find('(');
  if (open != std::string_view::npos) {
    l.remove_prefix(open + 1);
    l = l.substr(0, l.find(')'));
  } else {
    size_t d = 0;
    while (d < l.size() && !std::isdigit(uint8_t(l[d]))) ++d;
    l.remove_prefix(d);
    size_t e = l.find_first_not_of("0123456789, ");
    if (e != std::string_view::npos) l = l.substr(0, e);
  }
  return parse_six(l);
}

// 229 "Entering Extended Passive Mode (|||6446|)".
std::optional<uint16_t> parse_229(std::string_view l) {
  size_t open = l.find('(');
  if (open == std::string_view::npos || open + 5 > l.size()) return std::nullopt;
  l.remove_prefix(open + 1);
  char dl = l[0];
  if (l.size() < 5 || l[1] != dl || l[2] != dl) return std::nullopt;
  l.remove_prefix(3);
  size_t e = l.find(dl);
  if (e == std::string_view::npos) return std::nullopt;
  auto v = number(l.substr(0, e), 65535);
  if (!v) return std::nullopt;
  return uint16_t(*v);
}

struct FtpSide {
  std::string line;
  bool cut = false;     // the line passed kMaxLine: dropped up to its LF
  bool resync = false;  // after a gap: dropped up to the next LF
  bool opaque = false;  // after AUTH TLS/SSL + 234
};

class FtpParser : public AppParser {
 public:
  void data(ParseCtx& c, Dir d, Bytes b) override {
    FtpSide& s = side_[int(d)];
    while (!b.empty()) {
      if (s.opaque) {
        c.ctr.ftp_encrypted_bytes += b.size();
        return;
      }
      if (d == Dir::kToServer && auth_pending_) {
        hold(c, b);
        return;
      }
      auto in = sv(b);
      size_t nl = in.find('\n');
      size_t take = nl == std::string_view::npos ? in.size() : nl;
      if (s.resync) {
        if (nl == std::string_view::npos) return;
        s.resync = false;
        b = b.subspan(nl + 1);
        continue;
      }
      size_t room = kMaxLine - s.line.size();
      if (take > room && !s.cut) {
        s.cut = true;
        ++c.ctr.ftp_line_too_long;
      }
      s.line.append(in.substr(0, std::min(take, room)));
      if (nl == std::string_view::npos) return;
      b = b.subspan(nl + 1);
      line_done(c, d);
      if (up_.to != AppProto::kUnknown) {  // the 234 to AUTH: what follows it is TLS
        up_.rest[int(d)].append(sv(b));
        return;
      }
    }
  }

  AppUpgrade* upgrade() override { return up_.to != AppProto::kUnknown ? &up_ : nullptr; }

  void gap(ParseCtx& c, Dir d, uint64_t) override {
    ++c.ctr.gap_ftp;
    FtpSide& s = side_[int(d)];
    if (s.opaque) return;
    s.line.clear();
    s.cut = false;
    s.resync = true;
    if (d == Dir::kToClient && in_multi_) {
      in_multi_ = false;
      if (!txs_.empty()) txs_.front()->reply_truncated = true;
    }
  }

  void end(ParseCtx& c, Dir d) override {
    FtpSide& s = side_[int(d)];
    if (!s.opaque && !s.resync && !s.line.empty()) line_done(c, d);  // a last line without LF
  }

  void finish(ParseCtx& c) override {
    while (!txs_.empty()) pop_front(c);
  }

 private:
  void line_done(ParseCtx& c, Dir d) {
    FtpSide& s = side_[int(d)];
    std::string line = std::move(s.line);
    s.line = std::string();
    bool cut = s.cut;
    s.cut = false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (d == Dir::kToServer)
      command(c, std::move(line), cut);
    else
      reply(c, std::move(line), cut);
  }

  void hold(ParseCtx& c, Bytes b) {
    if (held_.size() + b.size() > kMaxHeld) {
      // No reply to AUTH in sight: take it as accepted (the client went on).
      ++c.ctr.err_ftp;
      c.ctr.ftp_encrypted_bytes += held_.size() + b.size();
      held_ = std::string();
      auth_pending_ = false;
      side_[0].opaque = true;
      return;
    }
    held_.append(sv(b));
  }

  FtpTx& new_tx(ParseCtx& c) {
    if (txs_.size() >= std::max<uint32_t>(1, c.cfg.max_tx_per_flow)) {
      ++c.ctr.ftp_tx_cut;
      pop_front(c);
    }
    txs_.push_back(std::make_unique<FtpTx>(next_id_++));
    ++c.ctr.tx_ftp;
    return *txs_.back();
  }

  void pop_front(ParseCtx& c) {
    FtpTx& t = *txs_.front();
    t.set_progress(Dir::kToServer, TxProgress::kComplete);
    t.set_progress(Dir::kToClient, TxProgress::kComplete);
    c.done(t);
    if (in_multi_) in_multi_ = false;
    txs_.pop_front();
  }

  void command(ParseCtx& c, std::string line, bool cut) {
    while (!line.empty() && std::isspace(uint8_t(line.back()))) line.pop_back();
    if (line.empty()) return;  // blank lines carry no command
    std::string_view l = line;
    size_t sp = l.find(' ');
    std::string_view verb = l.substr(0, sp);
    FtpTx& t = new_tx(c);
    t.has_command = true;
    t.command = upper(verb);
    t.command_truncated = cut;
    if (l.size() > verb.size()) {
      t.has_data = true;
      t.data = std::string(l.substr(verb.size() + 1));
    }
    t.bufs.set(BufferId::kFtpCommand, Dir::kToServer, t.command);
    if (t.has_data) t.bufs.set(BufferId::kFtpCommandData, Dir::kToServer, t.data);
    if (t.command == "PORT" || t.command == "EPRT") {
      t.kind = t.command == "PORT" ? Kind::kPort : Kind::kEprt;
      auto hp = t.kind == Kind::kPort ? parse_six(t.data) : parse_eprt(t.data);
      if (!hp) {
        ++c.ctr.ftp_bad_port;
      } else {
        t.dyn_port = hp->port;
        t.mode = "active";
        data_port_ = {true, true, hp->addr, hp->port};
        if (c.flow.client.family == hp->addr.family) t.bounce = hp->addr == c.flow.client ? 0 : 1;
      }
    } else if (is_transfer(t.command)) {
      // Its data connection uses the port of the last PORT/PASV; a PASV
      // pipelined just before it has no reply yet: wait for that reply.
      if (pasv_waiting_) {
        pending_xfer_ = {true, t.command, t.data};
      } else {
        expect(c, t.command, t.data);
      }
    } else if (t.command == "PASV") {
      t.kind = Kind::kPasv;
      pasv_waiting_ = true;
    } else if (t.command == "EPSV") {
      t.kind = Kind::kEpsv;
      pasv_waiting_ = true;
    } else if (t.command == "AUTH") {
      std::string arg = upper(t.data);
      if (arg == "TLS" || arg == "SSL" || arg == "TLS-C" || arg == "TLS-P") {
        t.kind = Kind::kAuthTls;
        auth_pending_ = true;
      }
    }
    t.set_progress(Dir::kToServer, TxProgress::kComplete);
    c.update(Dir::kToServer, t);
  }

  void reply(ParseCtx& c, std::string line, bool cut) {
    if (in_multi_) {
      FtpTx& t = *txs_.front();
      add_line(t, std::move(line), cut);
      std::string_view l = t.reply.empty() ? std::string_view() : std::string_view(t.reply.back());
      if (l.size() >= 3 && l.substr(0, 3) == std::string_view(multi_code_, 3) &&
          (l.size() == 3 || l[3] == ' ')) {
        in_multi_ = false;
        final_line(c, code_of(l));
      }
      return;
    }
    if (txs_.empty()) {  // the greeting, or a reply no command waits for
      if (seen_reply_) ++c.ctr.ftp_unsolicited_reply;
      new_tx(c);
    }
    FtpTx& t = *txs_.front();
    bool code = is_digit3(line);
    if (code && line.size() > 3 && line[3] == '-') {
      std::copy_n(line.data(), 3, multi_code_);
      in_multi_ = true;
      add_line(t, std::move(line), cut);
      return;
    }
    int n = code && (line.size() == 3 || line[3] == ' ') ? code_of(line) : 0;
    if (n == 0) {
      ++c.ctr.ftp_bad_reply;
      ++c.ctr.err_ftp;
    }
    add_line(t, std::move(line), cut);
    final_line(c, n);
  }

  static int code_of(std::string_view l) { return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0'); }

  void add_line(FtpTx& t, std::string line, bool cut) {
    if (cut) t.reply_truncated = true;
    if (t.reply.size() >= kMaxReplyLines) {
      t.reply_truncated = true;
      t.reply.back() = std::move(line);  // keep the last line: it ends a multi-line reply
      return;
    }
    t.reply.push_back(std::move(line));
  }

  // The reply to the oldest open transaction ended with code n (0: no code).
  void final_line(ParseCtx& c, int n) {
    seen_reply_ = true;
    FtpTx& t = *txs_.front();
    t.set_progress(Dir::kToClient, TxProgress::kLine);
    c.update(Dir::kToClient, t);
    if (n >= 100 && n < 200) return;  // preliminary: more replies follow
    t.reply_received = true;
    const std::string& last = t.reply.back();
    if (t.kind == Kind::kPasv || t.kind == Kind::kEpsv) data_port_.set = false;  // refused: no port
    if (t.kind == Kind::kPasv && n == 227) {
      if (auto hp = parse_227(last)) {
        t.dyn_port = hp->port;
        t.mode = "passive";
        data_port_ = {true, false, c.flow.server, hp->port};
      } else {
        ++c.ctr.ftp_bad_port;
      }
    } else if (t.kind == Kind::kEpsv && n == 229) {
      if (auto p = parse_229(last)) {
        t.dyn_port = *p;
        t.mode = "passive";
        data_port_ = {true, false, c.flow.server, *p};
      } else {
        ++c.ctr.ftp_bad_port;
      }
    }
    Kind kind = t.kind;
    if (kind == Kind::kPasv || kind == Kind::kEpsv) {
      pasv_waiting_ = false;
      if (pending_xfer_.set) {
        pending_xfer_.set = false;
        expect(c, pending_xfer_.command, pending_xfer_.filename);
      }
    }
    pop_front(c);
    if (kind != Kind::kAuthTls) return;
    auth_pending_ = false;
    std::string held = std::move(held_);
    held_ = std::string();
    if (n == 234) {
      side_[0].opaque = side_[1].opaque = true;
      up_.to = AppProto::kTls;
      up_.rest[0] = std::move(held);  // the client's first TLS bytes, held since AUTH
      side_[0].line.clear();
      while (!txs_.empty()) pop_front(c);  // commands pipelined before the switch
    } else if (!held.empty()) {
      data(c, Dir::kToServer, bytes_of(held));  // refused: they were commands
    }
  }

  struct DataPort {
    bool set = false;
    bool active = false;  // PORT/EPRT: the server connects to addr
    IpAddr addr;
    uint16_t port = 0;
  };
  static bool is_transfer(std::string_view v) {
    return v == "RETR" || v == "STOR" || v == "APPE" || v == "STOU" || v == "LIST" || v == "NLST" ||
           v == "MLSD";
  }

  // The transfer (command, file) whose data connection comes now.
  void expect(ParseCtx& c, const std::string& command, const std::string& filename) {
    if (!data_port_.set || c.ftp_expect == nullptr) return;
    FtpExpectation e;
    e.server = data_port_.active ? data_port_.addr : c.flow.server;
    e.client = data_port_.active ? c.flow.server : c.flow.client;
    e.port = data_port_.port;
    e.command = command;
    e.filename = filename;
    e.added_sec = c.pkt != nullptr ? c.pkt->ts.sec : c.flow.last_seen.sec;
    c.ftp_expect->add(std::move(e), c.ctr);
    data_port_.set = false;
  }
  struct PendingXfer {
    bool set = false;
    std::string command, filename;
  };

  DataPort data_port_;
  bool pasv_waiting_ = false;  // a PASV/EPSV awaits its reply
  PendingXfer pending_xfer_;
  FtpSide side_[2];
  std::deque<std::unique_ptr<FtpTx>> txs_;  // open, oldest first
  uint64_t next_id_ = 0;
  bool in_multi_ = false;
  char multi_code_[3] = {0, 0, 0};
  bool seen_reply_ = false;
  bool auth_pending_ = false;
  std::string held_;
  AppUpgrade up_;  // set by the 234 to AUTH TLS/SSL
};

}  // namespace

std::unique_ptr<AppParser> make_ftp_parser() {
  return std::make_unique<FtpParser>();
}

}  // namespace vigil
