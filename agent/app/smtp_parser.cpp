// SMTP parser (RFC 5321): client commands and server replies, matched in
// order (pipelining, RFC 2920), one transaction per mail from the first
// command after the previous mail (HELO/EHLO, MAIL FROM, RCPT TO) to the
// server's reply to the end of its DATA ("." line, dot-unstuffed) or BDAT
// LAST (RFC 3030, chunk bytes counted exactly). The message goes through
// MimeParser (mime.h): headers, nested multipart, base64/quoted-printable.
//
// STARTTLS (RFC 3207): the client's bytes after the command are held until
// the reply; a 220 hands the flow to the TLS parser (AppParser::upgrade) with
// those bytes and the server's rest, any other reply reads them as commands.
//
// Bounds, counted when hit: command/reply lines kMaxLine, DATA lines
// kMaxDataLine (the rest of a longer line is dropped), kMaxCommands commands
// waiting for a reply, kMaxRcpt recipients per mail, kMaxHold bytes held
// after STARTTLS, AppConfig::max_tx_per_flow open mails,
// AppConfig::smtp_file_data_limit decoded bytes per MIME part.
//
// Files (agent/app/file_tracker.h), when tracked: every MIME part that names
// a file (Content-Disposition filename, else Content-Type name; RFC 2231 and
// RFC 2047 decoded) becomes a TrackedFile of its mail's transaction, to_server,
// fed with the part's whole decoded body (past smtp_file_data_limit too),
// closed at the part's boundary (or at the end of a message that is not
// multipart) and truncated when the message ends without its closing
// boundary, a gap hits it, or the mail ends before its data did (RSET, a new
// MAIL FROM, the flow's end). A filestore match stores the mail's latest
// file (the one rules just saw start, grow or end).
#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/app/ascii.h"
#include "agent/app/file_tracker.h"
#include "agent/app/mime.h"
#include "agent/app/parsers.h"
#include "agent/app/tx_base.h"

namespace vigil {
namespace {

constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxDataLine = 64 * 1024;
constexpr size_t kMaxCommands = 256;
constexpr size_t kMaxRcpt = 512;
constexpr size_t kMaxHold = 16 * 1024;

std::string_view header_of(BufferId id) {
  switch (id) {
    case BufferId::kEmailFrom:
      return "from";
    case BufferId::kEmailTo:
      return "to";
    case BufferId::kEmailCc:
      return "cc";
    case BufferId::kEmailSubject:
      return "subject";
    case BufferId::kEmailDate:
      return "date";
    case BufferId::kEmailMessageId:
      return "message-id";
    case BufferId::kEmailXMailer:
      return "x-mailer";
    default:
      return {};
  }
}

std::span<const uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A file buffer of a TrackedFile: its name, or once it ended, its type and hashes.
const std::string* file_field(const TrackedFile& f, BufferId id) {
  switch (id) {
    case BufferId::kFileName:
      return &f.name();
    case BufferId::kFileMagic:
      return f.state() == FileState::kOpen || f.magic().empty() ? nullptr : &f.magic();
    case BufferId::kFileMd5:
      return f.md5().empty() ? nullptr : &f.md5();
    case BufferId::kFileSha1:
      return f.sha1().empty() ? nullptr : &f.sha1();
    case BufferId::kFileSha256:
      return f.sha256().empty() ? nullptr : &f.sha256();
    default:
      return nullptr;
  }
}

bool is_file_buffer(BufferId id) {
  return id == BufferId::kFileName || id == BufferId::kFileMagic || id == BufferId::kFileMd5 ||
         id == BufferId::kFileSha1 || id == BufferId::kFileSha256;
}

class SmtpTx : public TxBase, public MimeParser::Sink {
 public:
  SmtpTx(uint64_t id, FileContext* fc) : TxBase(AppProto::kSmtp, id), fc_(fc) {}

  // The attachments as files (empty when files are not tracked).
  std::vector<std::unique_ptr<TrackedFile>> files;

  // MimeParser::Sink: parts that name a file become files.
  void part_start(size_t i, const MimeParser::Part& p) override {
    latest_is_file_ = fc_ != nullptr && !p.filename.empty();
    if (!latest_is_file_) return;
    files.push_back(std::make_unique<TrackedFile>(*fc_, p.filename, Dir::kToServer, tx_id()));
    open_part_ = i;
  }
  void part_bytes(size_t i, std::string_view bytes) override {
    if (TrackedFile* f = open_file(i)) f->append(bytes);
  }
  void part_end(size_t i, bool whole) override {
    if (TrackedFile* f = open_file(i)) whole ? f->close() : f->truncate();
    open_part_ = SIZE_MAX;
  }
  // The message's bytes stopped (gap: len bytes lost; 0: cut short).
  void cut_files(uint64_t gap_len) {
    for (auto& f : files) {
      if (f->state() != FileState::kOpen) continue;
      if (gap_len > 0) f->gap(gap_len);
      f->truncate();
    }
    open_part_ = SIZE_MAX;
  }

  size_t file_count() const override { return files.size(); }
  void file_to_eve(nlohmann::ordered_json& out, size_t i, Dir* d) const override {
    if (i >= files.size()) return;
    files[i]->to_eve(out);
    if (d != nullptr) *d = files[i]->dir();
  }
  // Rules run when a part starts or ends, so the file a rule matched on is
  // the latest part's: the open file, else the one that just ended. That
  // one is stored (a rule fires once per mail: later attachments are not);
  // a match while the latest part is a text body stores nothing.
  void request_filestore(Dir d, uint32_t sid) const override {
    if (d == Dir::kToServer && latest_is_file_) files.back()->request_store(sid);
  }
  bool integer(TxInt field, Dir d, int64_t* out) const override {
    if (field != TxInt::kFileSize || d != Dir::kToServer) return false;
    for (size_t k = files.size(); k-- > 0;) {  // the latest file that ended
      if (files[k]->state() == FileState::kOpen) continue;
      *out = static_cast<int64_t>(files[k]->size());
      return true;
    }
    return false;
  }

  std::string helo, mail_from;
  bool has_helo = false, has_mail = false;
  std::vector<std::string> rcpt;
  std::unique_ptr<MimeParser> mime;  // from DATA/BDAT on
  bool data_done = false;            // the message ended (its reply may still be due)

  size_t buffer_count(BufferId id, Dir d) const override {
    if (d != Dir::kToServer) return 0;
    switch (id) {
      case BufferId::kSmtpHelo:
        return has_helo ? 1 : 0;
      case BufferId::kSmtpMailFrom:
        return has_mail ? 1 : 0;
      case BufferId::kSmtpRcptTo:
        return rcpt.size();
      case BufferId::kFileData:
        return mime ? mime->parts().size() : 0;
      default: {
        if (is_file_buffer(id)) {
          size_t n = 0;
          for (auto& f : files) n += file_field(*f, id) != nullptr ? 1 : 0;
          return n;
        }
        auto h = header_of(id);
        return !h.empty() && mime && mime->header(h) != nullptr ? 1 : 0;
      }
    }
  }
  // The buffers live in the fields above and the MIME parser, not in
  // TxBase::bufs: no versions, the rules engine compares their contents.
  bool buffer_version(BufferId, Dir, uint64_t*) const override { return false; }
  std::span<const uint8_t> buffer(BufferId id, Dir d, size_t i = 0) const override {
    if (i >= buffer_count(id, d)) return {};
    switch (id) {
      case BufferId::kSmtpHelo:
        return span_of(helo);
      case BufferId::kSmtpMailFrom:
        return span_of(mail_from);
      case BufferId::kSmtpRcptTo:
        return span_of(rcpt[i]);
      case BufferId::kFileData:
        return span_of(mime->parts()[i].data);
      default:
        if (is_file_buffer(id)) {
          for (auto& f : files) {
            const std::string* v = file_field(*f, id);
            if (v != nullptr && i-- == 0) return span_of(*v);
          }
          return {};
        }
        return span_of(*mime->header(header_of(id)));
    }
  }

  // Suricata 7's default smtp and email objects (no "extended" fields).
  void to_eve(nlohmann::ordered_json& out) const override {
    nlohmann::ordered_json s = nlohmann::ordered_json::object();
    if (has_helo) s["helo"] = eve_string(helo);
    if (has_mail) s["mail_from"] = eve_string(mail_from);
    if (!rcpt.empty()) {
      auto& a = s["rcpt_to"] = nlohmann::ordered_json::array();
      for (const auto& r : rcpt) a.push_back(eve_string(r));
    }
    out["smtp"] = std::move(s);
    if (!mime) return;
    nlohmann::ordered_json e = nlohmann::ordered_json::object();
    e["status"] = mime->status_name();
    if (const auto* v = mime->header("from")) e["from"] = eve_string(*v);
    for (const char* k : {"to", "cc"}) {
      const auto* v = mime->header(k);
      if (v == nullptr) continue;
      // Split at commas, leading blanks dropped, as Suricata writes them.
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      std::string_view rest = *v;
      while (!rest.empty()) {
        size_t c = rest.find(',');
        std::string_view one = rest.substr(0, c);
        rest = c == std::string_view::npos ? std::string_view() : rest.substr(c + 1);
        while (!one.empty() && (one.front() == ' ' || one.front() == '\t')) one.remove_prefix(1);
        if (!one.empty()) a.push_back(eve_string(one));
      }
      if (!a.empty()) e[k] = std::move(a);
    }
    nlohmann::ordered_json att = nlohmann::ordered_json::array();
    for (const auto& p : mime->parts())
      if (!p.filename.empty()) att.push_back(eve_string(p.filename));
    if (!att.empty()) e["attachment"] = std::move(att);
    out["email"] = std::move(e);
  }

 private:
  TrackedFile* open_file(size_t part) {
    if (part != open_part_ || files.empty() || files.back()->state() != FileState::kOpen) return nullptr;
    return files.back().get();
  }

  FileContext* fc_;
  size_t open_part_ = SIZE_MAX;  // the MIME part files.back() is fed from
  bool latest_is_file_ = false;  // the latest MIME part is files.back()
};

enum class Cmd : uint8_t { kHelo, kMail, kRcpt, kData, kDataEnd, kBdat, kBdatLast, kStartTls, kRset, kOther };
enum class Cs : uint8_t { kCommand, kData, kBdat, kTlsWait, kOpaque };

struct LineBuf {
  std::string buf;
  std::string line;  // the last complete line handed out
  bool cut = false;
};

// The argument after a command prefix, blanks skipped, up to the next blank
// (ESMTP parameters such as SIZE= follow it), as Suricata stores it.
std::string_view arg_after(std::string_view line, size_t prefix) {
  std::string_view a = line.substr(std::min(prefix, line.size()));
  while (!a.empty() && a.front() == ' ') a.remove_prefix(1);
  return a.substr(0, a.find(' '));
}

class SmtpParser : public AppParser {
 public:
  void data(ParseCtx& c, Dir d, Bytes b) override {
    std::string_view in(reinterpret_cast<const char*>(b.data()), b.size());
    if (d == Dir::kToServer) {
      client(c, in);
    } else {
      server(c, in);
    }
  }

  void gap(ParseCtx& c, Dir d, uint64_t len) override {
    ++c.ctr.gap_smtp;
    if (d == Dir::kToServer) {
      cs_ = Cs::kOpaque;  // commands and message framing are lost
      hold_.clear();
      if (cur_ != nullptr) cur_->cut_files(len);
      return;
    }
    ss_ = Cs::kOpaque;  // replies are lost: mails end with their data
    for (auto& p : cmds_)
      if (p.cmd == Cmd::kDataEnd || p.cmd == Cmd::kBdatLast) done_tx(c, p.tx);
    cmds_.clear();
  }

  void end(ParseCtx&, Dir) override {}

  void finish(ParseCtx& c) override {
    while (!txs_.empty()) done_tx(c, txs_.front()->tx_id());
    cur_ = nullptr;
  }

  AppUpgrade* upgrade() override { return up_.to != AppProto::kUnknown ? &up_ : nullptr; }

 private:
  struct Pending {
    Cmd cmd;
    uint64_t tx;
  };

  // The next line of `in` (consumed), line end removed; false when `in`
  // ends first (its bytes are kept). Lines longer than max keep max bytes.
  bool take_line(ParseCtx& c, LineBuf& lb, std::string_view& in, size_t max, std::string_view* out) {
    size_t nl = in.find('\n');
    std::string_view piece = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    size_t room = max > lb.buf.size() ? max - lb.buf.size() : 0;
    if (piece.size() > room) {
      if (!lb.cut) ++c.ctr.smtp_line_cut;
      lb.cut = true;
      piece = piece.substr(0, room);
    }
    if (nl == std::string_view::npos) {
      lb.buf.append(piece);
      return false;
    }
    if (lb.buf.empty()) {
      lb.line.assign(piece);
    } else {
      lb.line = std::move(lb.buf);
      lb.line.append(piece);
      lb.buf.clear();
    }
    lb.cut = false;
    std::string_view l = lb.line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    *out = l;
    return true;
  }

  void client(ParseCtx& c, std::string_view in) {
    while (!in.empty()) {
      if (up_.to != AppProto::kUnknown) {
        keep_rest(c, up_.rest[0], in);
        return;
      }
      switch (cs_) {
        case Cs::kOpaque:
          return;
        case Cs::kTlsWait:
          if (hold_.size() + in.size() > kMaxHold) {
            ++c.ctr.smtp_starttls_cut;
            cs_ = Cs::kOpaque;
            hold_.clear();
            return;
          }
          hold_.append(in);
          return;
        case Cs::kBdat: {
          size_t n = static_cast<size_t>(std::min<uint64_t>(bdat_left_, in.size()));
          std::string_view chunk = in.substr(0, n);
          in.remove_prefix(n);
          bdat_left_ -= n;
          std::string_view l;
          while (!chunk.empty()) {
            if (take_line(c, bdat_lb_, chunk, kMaxDataLine, &l)) mime_line(c, l);
          }
          if (bdat_left_ == 0) bdat_chunk_end(c);
          break;
        }
        case Cs::kCommand:
        case Cs::kData: {
          std::string_view l;
          bool data = cs_ == Cs::kData;
          if (!take_line(c, lb_[0], in, data ? kMaxDataLine : kMaxLine, &l)) return;
          if (data) {
            data_line(c, l);
          } else {
            command(c, l);
          }
          break;
        }
      }
    }
  }

  void server(ParseCtx& c, std::string_view in) {
    while (!in.empty()) {
      if (up_.to != AppProto::kUnknown) {
        keep_rest(c, up_.rest[1], in);
        return;
      }
      if (ss_ == Cs::kOpaque) return;
      std::string_view l;
      if (!take_line(c, lb_[1], in, kMaxLine, &l)) return;
      reply(c, l);
    }
  }

  // Bytes for the protocol after STARTTLS (AppLayer takes them right after
  // this call; bounded all the same).
  void keep_rest(ParseCtx& c, std::string& rest, std::string_view in) {
    size_t room = kMaxHold > rest.size() ? kMaxHold - rest.size() : 0;
    if (in.size() > room) ++c.ctr.smtp_starttls_cut;
    rest.append(in.substr(0, std::min(room, in.size())));
  }

  SmtpTx& cur(ParseCtx& c) {
    if (cur_ != nullptr) return *cur_;
    if (txs_.size() >= c.cfg.max_tx_per_flow) {
      ++c.ctr.smtp_tx_cut;
      done_tx(c, txs_.front()->tx_id());
    }
    txs_.push_back(std::make_unique<SmtpTx>(next_id_++, c.files));
    ++c.ctr.tx_smtp;
    cur_ = txs_.back().get();
    if (has_helo_) {
      cur_->helo = helo_;
      cur_->has_helo = true;
    }
    cur_->set_progress(Dir::kToServer, TxProgress::kLine);
    return *cur_;
  }

  void done_tx(ParseCtx& c, uint64_t id) {
    for (auto it = txs_.begin(); it != txs_.end(); ++it) {
      if ((*it)->tx_id() != id) continue;
      SmtpTx& t = **it;
      t.cut_files(0);  // the mail ended before its message did
      t.set_progress(Dir::kToServer, TxProgress::kComplete);
      t.set_progress(Dir::kToClient, TxProgress::kComplete);
      c.done(t);
      if (cur_ == &t) cur_ = nullptr;
      txs_.erase(it);
      return;
    }
  }

  // A command that gets a reply; mails whose end cannot get one (no reply
  // direction, queue full) end now.
  void expect(ParseCtx& c, Cmd cmd, uint64_t tx) {
    bool ends = cmd == Cmd::kDataEnd || cmd == Cmd::kBdatLast;
    if (ss_ == Cs::kOpaque || cmds_.size() >= kMaxCommands) {
      if (ss_ != Cs::kOpaque) ++c.ctr.smtp_commands_cut;
      if (ends) done_tx(c, tx);
      return;
    }
    cmds_.push_back({cmd, tx});
  }

  void command(ParseCtx& c, std::string_view l) {
    SmtpTx* t = cur_;
    if (ieq_prefix(l, "HELO") || ieq_prefix(l, "EHLO")) {
      helo_ = std::string(arg_after(l, 4));
      has_helo_ = !helo_.empty();
      SmtpTx& x = cur(c);
      x.helo = helo_;
      x.has_helo = has_helo_;
      expect(c, Cmd::kHelo, x.tx_id());
      c.update(Dir::kToServer, x);
    } else if (ieq_prefix(l, "MAIL FROM:")) {
      if (t != nullptr && t->has_mail) done_tx(c, t->tx_id());  // no DATA for the earlier one
      SmtpTx& x = cur(c);
      x.mail_from = std::string(arg_after(l, 10));
      x.has_mail = true;
      expect(c, Cmd::kMail, x.tx_id());
      c.update(Dir::kToServer, x);
    } else if (ieq_prefix(l, "RCPT TO:")) {
      SmtpTx& x = cur(c);
      if (x.rcpt.size() < kMaxRcpt) {
        x.rcpt.emplace_back(arg_after(l, 8));
      } else {
        ++c.ctr.smtp_rcpt_cut;
      }
      expect(c, Cmd::kRcpt, x.tx_id());
      c.update(Dir::kToServer, x);
    } else if (ieq_prefix(l, "DATA") && (l.size() == 4 || l[4] == ' ')) {
      SmtpTx& x = cur(c);
      if (!x.mime) {
        x.mime = std::make_unique<MimeParser>(c.cfg.smtp_file_data_limit);
        x.mime->set_sink(&x);
      }
      expect(c, Cmd::kData, x.tx_id());
      cs_ = Cs::kData;  // as the client does not wait for 354 here either
      seen_ = {};
    } else if (ieq_prefix(l, "BDAT ")) {
      std::string_view a = arg_after(l, 5);
      uint64_t n = 0;
      bool ok = !a.empty() && a.size() <= 12;
      for (char ch : a) {
        ok = ok && ch >= '0' && ch <= '9';
        n = n * 10 + uint64_t(ch - '0');
      }
      if (!ok) {
        ++c.ctr.smtp_bad_bdat;
        ++c.ctr.err_smtp;
        cs_ = Cs::kOpaque;  // the chunk's length is the framing: lost
        return;
      }
      std::string_view after = l.substr(static_cast<size_t>(a.data() - l.data()) + a.size());
      while (!after.empty() && after.front() == ' ') after.remove_prefix(1);
      bdat_last_ = ieq_prefix(after, "LAST");
      SmtpTx& x = cur(c);
      if (!x.mime) {
        x.mime = std::make_unique<MimeParser>(c.cfg.smtp_file_data_limit);
        x.mime->set_sink(&x);
        seen_ = {};
      }
      expect(c, bdat_last_ ? Cmd::kBdatLast : Cmd::kBdat, x.tx_id());
      bdat_left_ = n;
      cs_ = Cs::kBdat;
      if (n == 0) bdat_chunk_end(c);
    } else if (ieq_prefix(l, "STARTTLS")) {
      expect(c, Cmd::kStartTls, t != nullptr ? t->tx_id() : 0);
      cs_ = Cs::kTlsWait;
    } else if (ieq_prefix(l, "RSET")) {
      if (t != nullptr && t->has_mail) done_tx(c, t->tx_id());
      expect(c, Cmd::kRset, 0);
    } else {
      expect(c, Cmd::kOther, 0);  // QUIT, NOOP, AUTH and its lines, ...: one reply each
    }
  }

  void data_line(ParseCtx& c, std::string_view l) {
    if (l == ".") {
      message_end(c, Cmd::kDataEnd);
      cs_ = Cs::kCommand;
      return;
    }
    if (!l.empty() && l.front() == '.') l.remove_prefix(1);  // dot-stuffing (RFC 5321 4.5.2)
    mime_line(c, l);
  }

  void bdat_chunk_end(ParseCtx& c) {
    cs_ = Cs::kCommand;
    if (!bdat_last_) return;
    if (!bdat_lb_.buf.empty()) {  // the message's last line needs no line end
      std::string rest = std::move(bdat_lb_.buf);
      bdat_lb_ = LineBuf();
      if (!rest.empty() && rest.back() == '\r') rest.pop_back();
      mime_line(c, rest);
    }
    bdat_lb_ = LineBuf();
    message_end(c, Cmd::kBdatLast);
  }

  void mime_line(ParseCtx& c, std::string_view l) {
    if (cur_ == nullptr || !cur_->mime) return;
    MimeParser& m = *cur_->mime;
    m.line(l, c.ctr);
    // Rules run when there is something new to see: the headers, a part's
    // start, a part's end (not on every line: each run rescans the parts).
    Seen now{m.headers_done(), m.parts().size(), !m.parts().empty() && m.parts().back().complete};
    if (now.headers != seen_.headers || now.parts != seen_.parts ||
        now.last_complete != seen_.last_complete) {
      seen_ = now;
      c.update(Dir::kToServer, *cur_);
    }
  }

  void message_end(ParseCtx& c, Cmd how) {
    if (cur_ == nullptr) return;
    SmtpTx& t = *cur_;
    if (t.mime) t.mime->end();
    t.data_done = true;
    t.set_progress(Dir::kToServer, TxProgress::kBody);
    c.update(Dir::kToServer, t);
    cur_ = nullptr;  // the next command starts the next mail
    if (how == Cmd::kDataEnd) {
      expect(c, Cmd::kDataEnd, t.tx_id());
    } else {
      // BDAT LAST was expected when the command came; no reply direction: done now.
      if (ss_ == Cs::kOpaque) done_tx(c, t.tx_id());
    }
  }

  void reply(ParseCtx& c, std::string_view l) {
    auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
    if (l.size() < 3 || !digit(l[0]) || !digit(l[1]) || !digit(l[2]) ||
        (l.size() > 3 && l[3] != ' ' && l[3] != '-')) {
      ++c.ctr.smtp_bad_reply;
      return;
    }
    if (l.size() > 3 && l[3] == '-') return;  // more lines of the same reply follow
    int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    if (!greeted_) {
      greeted_ = true;
      if (cmds_.empty() || code == 220) return;  // the greeting
    }
    if (cmds_.empty()) {
      ++c.ctr.smtp_unsolicited_reply;
      return;
    }
    Pending p = cmds_.front();
    cmds_.pop_front();
    switch (p.cmd) {
      case Cmd::kData:
        if (code != 354 && cs_ == Cs::kData) {
          cs_ = Cs::kCommand;  // refused: what follows are commands again
          if (cur_ != nullptr && cur_->mime && cur_->mime->status() == MimeParser::Status::kNone)
            cur_->mime.reset();
        }
        break;
      case Cmd::kDataEnd:
      case Cmd::kBdatLast:
        done_tx(c, p.tx);
        break;
      case Cmd::kStartTls:
        if (code == 220) {
          up_.to = AppProto::kTls;
          up_.rest[0] = std::move(hold_);
          ++c.ctr.smtp_starttls;
        } else if (cs_ == Cs::kTlsWait) {
          cs_ = Cs::kCommand;
          std::string held = std::move(hold_);
          hold_.clear();
          client(c, held);
        }
        break;
      default:
        break;
    }
  }

  struct Seen {
    bool headers = false;
    size_t parts = 0;
    bool last_complete = false;
  };

  Cs cs_ = Cs::kCommand;  // client side
  Cs ss_ = Cs::kCommand;  // server side: kCommand (replies) or kOpaque
  LineBuf lb_[2];
  LineBuf bdat_lb_;
  uint64_t bdat_left_ = 0;
  bool bdat_last_ = false;
  std::string hold_;  // client bytes after STARTTLS, until its reply
  std::deque<Pending> cmds_;
  std::deque<std::unique_ptr<SmtpTx>> txs_;
  SmtpTx* cur_ = nullptr;  // the mail commands go to; null between mails
  uint64_t next_id_ = 0;
  std::string helo_;
  bool has_helo_ = false;
  bool greeted_ = false;
  Seen seen_;
  AppUpgrade up_;
};

}  // namespace

std::unique_ptr<AppParser> make_smtp_parser() {
  return std::make_unique<SmtpParser>();
}

}  // namespace vigil
