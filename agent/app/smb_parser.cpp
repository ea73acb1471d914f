// SMB over TCP (NetBIOS session service framing, RFC 1002): SMB2/3 parsed per
// command, SMB1 enough to log and detect, SMB3 transform (encrypted) records
// counted only.
//
// Framing: each direction is a sequence of records, a 4-byte header (type,
// 24-bit big-endian length) and the message. Keep-alives and session
// requests/responses are skipped. A record keeps its first kMaxKeep bytes
// (headers and names); the rest (READ/WRITE data) is skipped, counted once
// per record (app_layer.limit.smb.record). A gap inside a record whose length
// is known keeps the framing (the record is dropped when the gap hit its kept
// part); any other gap, or a record that is not SMB, makes the direction look
// for the next "\0 len len len \xfeSMB" / "\xffSMB" / "\xfdSMB" start; after
// kMaxResync bytes without one that direction stops (both counted).
//
// Transactions: one per SMB2 request (each element of a compound record),
// completed by the response with the same MessageId and command; a
// STATUS_PENDING interim response keeps it open. SMB1: one per request, matched
// by (MID, PID, command). Responses without a request get a transaction of
// their own (a server's oplock break, or a flow seen from its middle). CANCEL
// has no response: it completes at once. Open transactions are capped at
// max_tx_per_flow (the oldest is reported, counted).
//
// State tables, each capped (app_layer.limit.smb.table when full): tree
// (session, tree id) → share and whether it is a pipe; file id → name.
//
// Files (when files are tracked, agent/app/file_tracker.h): SMB2 WRITE
// request data (to_server) and READ response data (to_client) on a disk tree
// (known from its TREE_CONNECT, not a pipe) become one TrackedFile per
// (direction, file id), named by the CREATE's file name (the path inside the
// share, as Suricata names them). The data is streamed into the file from the
// framing layer as it arrives, the part of a record past kMaxKeep included:
// records are never buffered whole. Only a record holding one SMB2 message
// (not a compound chain) streams. Each piece lands at its file offset (WRITE:
// the request's Offset; READ: the Offset of the READ request with the same
// MessageId): at the end of the file it is appended; a jump forward is a gap
// of that many bytes; a jump backward or an overlap is counted
// (app_layer.smb.file_overlap_bytes) and the repeated bytes are ignored (the
// first copy wins; the file is hashed in one pass). A transport gap inside
// the data is a gap of the file. CLOSE ends the file as closed: the CLOSE
// request ends the to_server file of its file id, the CLOSE response the
// to_client one (each in the same stream as the data before it). The end of
// the flow, or framing lost in the file's direction, truncates it.
// Ownership: each file has a transaction of its own (as Suricata's file
// transaction), command WRITE or READ of the first data, logged as an smb
// event when the file ends; it is not one of the request/response
// transactions (those are logged as before) and holds file.name, file.data
// (first kMaxFileData bytes, the rest counted: app_layer.limit.smb.file_data),
// the hashes and file.size once the file ended. At most kMaxOpenFiles are open
// per flow; data of a further file is not tracked (app_layer.limit.smb.files).
// SMB1 READ_ANDX/WRITE_ANDX data is not tracked.
//
// Buffers (to_server): smb.share (tree connect path), smb.named_pipe (tree
// connect path of an IPC$/pipe share, as Suricata; and the file name of a
// CREATE on a pipe tree), smb.ntlmssp_user / smb.ntlmssp_domain (NTLMSSP
// AUTHENTICATE inside the SESSION_SETUP security blob).
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/app/file_tracker.h"
#include "agent/app/parsers.h"
#include "agent/app/smb_names.h"
#include "agent/app/tx_base.h"

namespace vigil {
namespace {

using smb::filetime_to_unix;
using smb::guid_string;
using smb::utf16le_to_utf8;

constexpr size_t kMaxKeep = 64 * 1024 + 512;  // bytes of a record kept for parsing
constexpr uint64_t kMaxResync = 1 << 20;      // bytes searched for a record start after a gap
constexpr size_t kMaxTrees = 1024;
constexpr size_t kMaxFiles = 4096;
constexpr size_t kMaxDialects = 64;
constexpr size_t kMaxName = 4096;       // bytes of a wire name kept
constexpr size_t kMaxIfaces = 64;       // DCERPC interfaces remembered per flow
constexpr size_t kMaxStub = 16 * 1024;  // bytes of a PDU's stub data kept as dcerpc.stub_data
constexpr uint32_t kPipeTransceive = 0x0011C017;
constexpr size_t kMaxOpenFiles = 32;         // file transactions open per flow
constexpr size_t kMaxFileData = 100 * 1024;  // bytes of a file kept as file.data (as ftp-data)
constexpr size_t kStreamHead = 64 + 48;      // SMB2 header + WRITE fixed part: enough to stream

// SMB2 commands.
enum : uint16_t {
  kNegotiate = 0,
  kSessionSetup = 1,
  kLogoff = 2,
  kTreeConnect = 3,
  kTreeDisconnect = 4,
  kCreate = 5,
  kClose = 6,
  kRead = 8,
  kWrite = 9,
  kIoctl = 11,
  kCancel = 12,
};
// SMB1 commands.
enum : uint8_t {
  k1Close = 0x04,
  k1ReadAndX = 0x2e,
  k1WriteAndX = 0x2f,
  k1Negotiate = 0x72,
  k1SessionSetup = 0x73,
  k1TreeConnectAndX = 0x75,
  k1NtCreateAndX = 0xa2,
};

uint16_t le16(std::string_view b, size_t o) {
  return uint16_t(uint8_t(b[o]) | (uint8_t(b[o + 1]) << 8));
}
uint32_t le32(std::string_view b, size_t o) {
  return uint32_t(le16(b, o)) | (uint32_t(le16(b, o + 2)) << 16);
}
uint64_t le64(std::string_view b, size_t o) {
  return uint64_t(le32(b, o)) | (uint64_t(le32(b, o + 4)) << 32);
}
// b[o, o+n) when it lies inside b; empty otherwise.
std::string_view sub(std::string_view b, size_t o, size_t n) {
  if (o > b.size() || n > b.size() - o) return {};
  return b.substr(o, n);
}
bool ends_with_ipc(std::string_view s) {
  if (s.size() < 4) return false;
  auto t = s.substr(s.size() - 4);
  return (t[0] == 'I' || t[0] == 'i') && (t[1] == 'P' || t[1] == 'p') && (t[2] == 'C' || t[2] == 'c') &&
         t[3] == '$';
}
std::string cap(std::string s) {
  if (s.size() > kMaxName) s.resize(kMaxName);
  return s;
}

enum class Kind : uint8_t { kGeneric, kNegotiate, kSessionSetup, kTreeConnect, kCreate, kFile, kIoctl };

class SmbTx : public TxBase {
 public:
  explicit SmbTx(uint64_t id) : TxBase(AppProto::kSmb, id) {}

  int ver = 2;
  uint16_t cmd = 0;
  uint64_t msg_id = 0;  // SMB2 MessageId; SMB1 MID | PID << 16
  uint64_t session_id = 0;
  uint32_t tree_id = 0;
  bool request = false;
  bool response = false;
  bool has_status = false;
  uint32_t status = 0;
  bool dos_error = false;  // SMB1 without NT status: class and code
  uint8_t dos_class = 0;
  uint16_t dos_code = 0;
  std::string dialect;  // the flow's dialect when the tx completed

  Kind kind = Kind::kGeneric;
  // negotiate
  std::vector<std::string> client_dialects;
  std::string client_guid, server_guid;
  uint32_t max_read = 0, max_write = 0;
  // session setup
  bool has_ntlmssp = false;
  std::string user, domain, host;
  // tree connect
  std::string share;
  bool is_pipe = false;
  int share_type = -1;
  std::string svc_req, svc_res;
  bool has_svc_req = false, has_svc_res = false;
  // create / file
  std::string filename;
  bool directory = false;
  uint32_t disposition = 0;
  bool delete_on_close = false;
  uint64_t created = 0, accessed = 0, modified = 0, changed = 0, size = 0;
  std::string fuid;  // file id as logged
  std::string fid;   // file id bytes (READ/WRITE/CLOSE requests)
  std::string file_share;
  // ioctl
  uint32_t function = 0;
  // DCERPC carried by a WRITE/READ on a pipe or an FSCTL_PIPE_TRANSCEIVE
  struct Iface {
    std::string uuid;
    uint16_t ver = 0, ver_min = 0, ctx_id = 0;
    bool acked = false;
    uint16_t result = 0, reason = 0;
  };
  bool pipe = false;  // READ/WRITE/CLOSE on a pipe
  bool has_dce = false;
  bool dce_req = false, dce_res = false;
  uint8_t dce_req_type = 0, dce_res_type = 0;
  uint8_t dce_req_flags = 0, dce_res_flags = 0;  // pfc_flags
  uint16_t dce_opnum = 0, dce_ctx = 0;
  uint32_t dce_call_id = 0, dce_req_stub = 0, dce_res_stub = 0;
  std::vector<Iface> dce_ifaces;  // BIND: the flow's interfaces; REQUEST/RESPONSE: those of its context
  uint64_t read_offset = 0;       // READ request: the file offset asked for

  // A file transaction (see the header comment): the file and where its
  // bytes end (appended + gaps).
  std::unique_ptr<TrackedFile> file;
  uint64_t file_end = 0;

  size_t file_count() const override { return file ? 1 : 0; }
  void file_to_eve(nlohmann::ordered_json& out, size_t i, Dir* d) const override {
    if (!file || i != 0) return;
    file->to_eve(out);
    if (d != nullptr) *d = file->dir();
  }
  void request_filestore(Dir d, uint32_t sid) const override {
    if (file && file->dir() == d) file->request_store(sid);
  }
  bool dcerpc_opnum(uint16_t* out) const override {
    if (!dce_req || dce_req_type != 0) return false;
    *out = dce_opnum;
    return true;
  }
  // Interfaces of the REQUEST's (or RESPONSE's) context that the server accepted.
  size_t dcerpc_iface_count() const override {
    return (dce_req && dce_req_type == 0) || (dce_res && dce_res_type == 2) ? dce_ifaces.size() : 0;
  }
  bool dcerpc_iface(size_t i, std::string_view* uuid, uint16_t* version) const override {
    if (i >= dcerpc_iface_count() || !dce_ifaces[i].acked || dce_ifaces[i].result != 0) return false;
    *uuid = dce_ifaces[i].uuid;
    *version = dce_ifaces[i].ver;
    return true;
  }
  bool integer(TxInt f, Dir d, int64_t* out) const override {
    if (f == TxInt::kDcerpcPtype || f == TxInt::kDcerpcFlags) {
      bool req = d == Dir::kToServer;
      if (!(req ? dce_req : dce_res)) return false;
      if (f == TxInt::kDcerpcPtype)
        *out = req ? dce_req_type : dce_res_type;
      else
        *out = req ? dce_req_flags : dce_res_flags;
      return true;
    }
    if (f != TxInt::kFileSize || !file || file->dir() != d || file->state() == FileState::kOpen) return false;
    *out = static_cast<int64_t>(file->size());
    return true;
  }
  // Publishes file.name and, once the file ended, file.magic and the hashes.
  void file_buffers() {
    if (file) set_file_buffers(bufs, *file);
  }

  void to_eve(nlohmann::ordered_json& out) const override {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["id"] = tx_id();
    j["dialect"] = dialect.empty() ? std::string("unknown") : eve_string(dialect);
    j["command"] = ver == 1 ? smb::smb1_command_name(uint8_t(cmd)) : smb::smb2_command_name(cmd);
    if (has_status) {
      if (dos_error) {
        char b[32];
        std::snprintf(b, sizeof b, "UNKNOWN_%02x_%04x", dos_class, dos_code);
        j["status"] = b;
        std::snprintf(b, sizeof b, "0x%04x", dos_code);
        j["status_code"] = b;
      } else {
        j["status"] = smb::ntstatus_name(status);
        char b[16];
        std::snprintf(b, sizeof b, "0x%x", status);
        j["status_code"] = b;
      }
    }
    j["session_id"] = session_id;
    j["tree_id"] = tree_id;
    switch (kind) {
      case Kind::kSessionSetup:
        if (has_ntlmssp) {
          j["ntlmssp"] = {
              {"domain", eve_string(domain)}, {"user", eve_string(user)}, {"host", eve_string(host)}};
        }
        break;
      case Kind::kCreate:
        if (filename.empty())
          j["filename"] = "<share_root>";
        else
          j[directory ? "directory" : "filename"] = eve_string(filename);
        j["disposition"] = disposition_name();
        j["access"] = delete_on_close ? "delete on close" : "normal";
        if (response && has_status && status == smb::kStatusSuccess) {
          j["created"] = created;
          j["accessed"] = accessed;
          j["modified"] = modified;
          j["changed"] = changed;
          j["size"] = size;
          j["fuid"] = fuid;
        }
        break;
      case Kind::kNegotiate:
        if (!client_dialects.empty()) {
          auto a = nlohmann::ordered_json::array();
          for (auto& d : client_dialects) a.push_back(eve_string(d));
          j["client_dialects"] = std::move(a);
        }
        if (!client_guid.empty()) j["client_guid"] = client_guid;
        if (!server_guid.empty()) j["server_guid"] = server_guid;
        if (max_read > 0) j["max_read_size"] = max_read;
        if (max_write > 0) j["max_write_size"] = max_write;
        break;
      case Kind::kTreeConnect:
        j[is_pipe ? "named_pipe" : "share"] = eve_string(share);
        if (ver == 1) {
          nlohmann::ordered_json s = nlohmann::ordered_json::object();
          if (has_svc_req) s["request"] = eve_string(svc_req);
          if (has_svc_res) s["response"] = eve_string(svc_res);
          j["service"] = std::move(s);
        } else if (response) {
          j["share_type"] = share_type == 1   ? "FILE"
                            : share_type == 2 ? "PIPE"
                            : share_type == 3 ? "PRINT"
                                              : "UNKNOWN";
        }
        break;
      case Kind::kFile:
        j["filename"] = eve_string(filename);
        j["share"] = eve_string(file_share);
        j["fuid"] = fuid;
        break;
      case Kind::kIoctl:
        j["function"] = smb::fsctl_name(function);
        break;
      case Kind::kGeneric:
        break;
    }
    if (has_dce) dce_to_eve(j);
    out["smb"] = std::move(j);
  }

 private:
  static std::string dce_type(uint8_t t) {
    static const char* const kNames[] = {"REQUEST",   "PING",     "RESPONSE",      "FAULT",
                                         "WORKING",   "NOCALL",   "REJECT",        "ACK",
                                         "CL_CANCEL", "FACK",     "CANCEL_ACK",    "BIND",
                                         "BINDACK",   "BINDNAK",  "ALTER_CONTEXT", "ALTER_CONTEXT_RESP",
                                         "AUTH3",     "SHUTDOWN", "CO_CANCEL",     "ORPHANED",
                                         "RTS"};
    return t < std::size(kNames) ? kNames[t] : std::to_string(t);
  }
  // Suricata 7's dcerpc object of an smb transaction.
  void dce_to_eve(nlohmann::ordered_json& j) const {
    nlohmann::ordered_json d = nlohmann::ordered_json::object();
    d["request"] = dce_req ? dce_type(dce_req_type) : "REQUEST_LOST";
    d["response"] = dce_res ? dce_type(dce_res_type) : "UNREPLIED";
    if (dce_req && dce_req_type == 0) {
      d["opnum"] = dce_opnum;
      d["req"] = {{"frag_cnt", 1}, {"stub_data_size", dce_req_stub}};
    }
    if (dce_req && (dce_req_type == 0 || dce_req_type == 11) && !dce_ifaces.empty()) {
      auto a = nlohmann::ordered_json::array();
      for (auto& i : dce_ifaces) {
        nlohmann::ordered_json o = {{"uuid", i.uuid},
                                    {"version", std::to_string(i.ver) + "." + std::to_string(i.ver_min)}};
        if (dce_req_type == 11 && i.acked) {
          o["ack_result"] = i.result;
          o["ack_reason"] = i.reason;
        }
        a.push_back(std::move(o));
      }
      d["interfaces"] = std::move(a);
    }
    if (dce_res && dce_res_type == 2) d["res"] = {{"frag_cnt", 1}, {"stub_data_size", dce_res_stub}};
    d["call_id"] = dce_call_id;
    j["dcerpc"] = std::move(d);
  }

  const char* disposition_name() const {
    static const char* const kNames[] = {"FILE_SUPERSEDE", "FILE_OPEN",      "FILE_CREATE",
                                         "FILE_OPEN_IF",   "FILE_OVERWRITE", "FILE_OVERWRITE_IF"};
    return disposition < std::size(kNames) ? kNames[disposition] : "UNKNOWN";
  }
};

// NTLMSSP AUTHENTICATE (type 3) found in a security blob (SPNEGO or raw).
struct Ntlm {
  bool ok = false;
  std::string user, domain, host;
};
Ntlm find_ntlmssp_auth(std::string_view blob) {
  Ntlm r;
  static constexpr std::string_view kSig("NTLMSSP\0", 8);
  for (size_t at = blob.find(kSig); at != std::string_view::npos; at = blob.find(kSig, at + 1)) {
    std::string_view m = blob.substr(at);
    if (m.size() < 64 || le32(m, 8) != 3) continue;
    uint32_t flags = le32(m, 60);
    bool unicode = flags & 1u;
    auto field = [&](size_t o) {
      auto v = sub(m, le32(m, o + 4), le16(m, o));
      return cap(unicode ? utf16le_to_utf8(v) : std::string(v));
    };
    r.domain = field(28);
    r.user = field(36);
    r.host = field(44);
    r.ok = true;
    return r;
  }
  return r;
}

// A SESSION_SETUP's NTLMSSP AUTHENTICATE: logged, and the user and domain buffers.
void set_ntlmssp(SmbTx& t, const Ntlm& n) {
  t.has_ntlmssp = true;
  t.user = n.user;
  t.domain = n.domain;
  t.host = n.host;
  t.bufs.set(BufferId::kSmbNtlmsspUser, Dir::kToServer, t.user);
  t.bufs.set(BufferId::kSmbNtlmsspDomain, Dir::kToServer, t.domain);
}

struct Tree {
  std::string share;
  bool is_pipe = false;
};

class SmbParser : public AppParser {
 public:
  void data(ParseCtx& c, Dir d, Bytes b) override {
    Side& s = side_[int(d)];
    while (!b.empty() && !s.stopped) {
      if (s.resync) {
        b = resync(c, s, b);
        continue;
      }
      if (!s.in_record) {
        size_t take = std::min<size_t>(4 - s.hdr_len, b.size());
        std::copy_n(b.begin(), take, s.hdr + s.hdr_len);
        s.hdr_len += take;
        b = b.subspan(take);
        if (s.hdr_len < 4) return;
        s.hdr_len = 0;
        uint8_t type = s.hdr[0];
        s.need = (uint32_t(s.hdr[1]) << 16) | (uint32_t(s.hdr[2]) << 8) | s.hdr[3];
        if (type != 0x00 && (type < 0x81 || type > 0x85)) {
          ++c.ctr.smb_bad_record;
          lose_framing(c, d, s);
          continue;
        }
        s.session_msg = type == 0x00;
        s.got = 0;
        s.rec.clear();
        s.cut = s.damaged = false;
        s.checked = false;
        s.ftx = nullptr;
        s.in_record = s.need > 0;
        continue;
      }
      size_t take = std::min<size_t>(s.need - s.got, b.size());
      uint32_t pos = s.got;
      if (s.session_msg && !s.damaged) {
        size_t room = kMaxKeep - s.rec.size();
        size_t keep = std::min(take, room);
        s.rec.append(reinterpret_cast<const char*>(b.data()), keep);
        if (take > keep && !s.cut) {
          s.cut = true;
          ++c.ctr.smb_record_cut;
        }
        if (s.got < 4 && s.rec.size() >= 4 && !smb_magic(s.rec)) {
          ++c.ctr.smb_bad_record;
          s.in_record = false;
          lose_framing(c, d, s);
          b = b.subspan(take);
          continue;
        }
        if (!s.checked && (s.rec.size() >= kStreamHead || pos + take == s.need)) start_stream(c, d, s);
      }
      if (s.ftx != nullptr) feed(c, s, pos, b.subspan(0, take));
      s.got += uint32_t(take);
      b = b.subspan(take);
      if (s.got == s.need) {
        s.in_record = false;
        if (s.session_msg && !s.damaged) {
          std::string rec = std::move(s.rec);
          s.rec = std::string();
          record(c, d, rec, s.cut);
        }
        end_stream(c, d, s);
      }
    }
  }

  void gap(ParseCtx& c, Dir d, uint64_t len) override {
    ++c.ctr.gap_smb;
    Side& s = side_[int(d)];
    if (s.stopped) return;
    if (s.resync) {
      s.tail.clear();
      return;
    }
    if (s.in_record && s.hdr_len == 0 && len <= s.need - s.got) {
      // The framing holds; the record is lost when the gap hit its kept part.
      if (s.session_msg && !s.cut) s.damaged = true;
      if (s.ftx != nullptr) feed_gap(s, s.got, len);
      s.got += uint32_t(len);
      if (s.got == s.need) {  // the gap ended the record: what was kept is whole
        s.in_record = false;
        if (s.session_msg && !s.damaged) {
          std::string rec = std::move(s.rec);
          s.rec = std::string();
          record(c, d, rec, s.cut);
        }
        end_stream(c, d, s);
      }
      return;
    }
    lose_framing(c, d, s);
  }

  void end(ParseCtx&, Dir) override {}

  void finish(ParseCtx& c) override {
    side_[0].ftx = side_[1].ftx = nullptr;
    while (!ftxs_.empty()) end_file(c, ftxs_.begin(), false);
    while (!txs_.empty()) pop_front(c);
  }

 private:
  struct Side {
    uint8_t hdr[4] = {0, 0, 0, 0};
    size_t hdr_len = 0;
    bool in_record = false;
    bool session_msg = false;
    uint32_t need = 0, got = 0;
    std::string rec;
    bool cut = false, damaged = false;
    bool resync = false, stopped = false;
    std::string tail;  // last bytes searched, a record start may span chunks
    uint64_t scanned = 0;
    // File data of the current record (see the header comment): checked
    // whether it carries any, the file transaction it goes to, where the
    // data lies in the record ([data_start, data_end)), how far it was fed,
    // and the file offset of data_start.
    bool checked = false;
    SmbTx* ftx = nullptr;
    uint32_t data_start = 0, data_end = 0, fed = 0;
    uint64_t foff = 0;
  };

  using FileKey = std::pair<int, std::string>;  // direction, file id bytes
  using FileMap = std::map<FileKey, std::unique_ptr<SmbTx>>;

  // The framing of direction d is lost: its open files are truncated.
  void lose_framing(ParseCtx& c, Dir d, Side& s) {
    start_resync(s);
    s.ftx = nullptr;
    for (auto it = ftxs_.begin(); it != ftxs_.end();) {
      auto next = std::next(it);
      if (it->first.first == int(d)) end_file(c, it, false);
      it = next;
    }
  }

  // The current record's first kStreamHead bytes (or all of it) are kept:
  // when it is a single SMB2 WRITE request or successful READ response on a
  // disk tree, its data goes to the file of (d, file id) from now on.
  void start_stream(ParseCtx& c, Dir d, Side& s) {
    s.checked = true;
    if (c.files == nullptr) return;
    std::string_view h = s.rec;
    if (h.size() < 64 + 16 || h.substr(0, 4) != "\xfeSMB" || le16(h, 4) != 64 || le32(h, 20) != 0) return;
    uint16_t cmd = le16(h, 12);
    uint32_t flags = le32(h, 16);
    bool resp = flags & 1u;
    std::string_view body = h.substr(64);
    uint64_t session = le64(h, 40);
    uint32_t tree_id = (flags & 2u) ? 0 : le32(h, 36);
    std::string fid;
    uint64_t foff = 0;
    uint32_t start = 0, len = 0;
    if (d == Dir::kToServer && !resp && cmd == kWrite && body.size() >= 48) {
      start = le16(body, 2);
      len = le32(body, 4);
      foff = le64(body, 8);
      fid = std::string(body.substr(16, 16));
    } else if (d == Dir::kToClient && resp && cmd == kRead && le32(h, 8) == smb::kStatusSuccess) {
      const SmbTx* rq = find(2, le64(h, 24), kRead);
      if (rq == nullptr || rq->fid.empty()) return;
      start = uint8_t(body[2]);
      len = le32(body, 4);
      foff = rq->read_offset;
      fid = rq->fid;
      session = rq->session_id;
      tree_id = rq->tree_id;
    } else {
      return;
    }
    if (len == 0 || start < 64 || start >= s.need || fid == std::string(16, '\xff')) return;
    const Tree* tr = tree(session, tree_id);
    if (tr == nullptr || tr->is_pipe) return;
    SmbTx* ftx = file_tx(c, d, fid, session, tree_id, tr->share, cmd);
    if (ftx == nullptr) return;
    s.ftx = ftx;
    s.data_start = start;
    s.data_end = uint32_t(std::min<uint64_t>(uint64_t(start) + len, s.need));
    s.fed = start;
    s.foff = foff;
    if (s.rec.size() > start) feed(c, s, 0, {reinterpret_cast<const uint8_t*>(s.rec.data()), s.rec.size()});
  }

  // Bytes b of the current record, at record position pos: their part inside
  // the data and not fed yet goes to the file.
  void feed(ParseCtx& c, Side& s, uint32_t pos, Bytes b) {
    uint64_t from = std::max(pos, s.fed), to = std::min<uint64_t>(uint64_t(pos) + b.size(), s.data_end);
    if (from >= to) return;
    std::string_view v(reinterpret_cast<const char*>(b.data()) + (from - pos), to - from);
    write_file(c, *s.ftx, s.foff + (from - s.data_start), v);
    s.fed = uint32_t(to);
  }
  // len bytes of the current record at pos are missing.
  void feed_gap(Side& s, uint32_t pos, uint64_t len) {
    uint64_t from = std::max(pos, s.fed), to = std::min<uint64_t>(uint64_t(pos) + len, s.data_end);
    if (from >= to) return;
    SmbTx& t = *s.ftx;
    uint64_t end = s.foff + (to - s.data_start);
    if (end > t.file_end) {
      t.file->gap(end - t.file_end);
      t.file_end = end;
    }
    s.fed = uint32_t(to);
  }
  // Bytes at file offset off (see the header comment).
  void write_file(ParseCtx& c, SmbTx& t, uint64_t off, std::string_view v) {
    if (off > t.file_end) {
      t.file->gap(off - t.file_end);
      t.file_end = off;
    }
    if (off < t.file_end) {
      size_t skip = size_t(std::min<uint64_t>(v.size(), t.file_end - off));
      c.ctr.smb_file_overlap += skip;
      v.remove_prefix(skip);
    }
    if (v.empty()) return;
    t.file->append(v);
    t.file_end += v.size();
    Dir d = t.file->dir();
    std::string& buf = t.bufs.slot(BufferId::kFileData, d);
    size_t n = std::min(kMaxFileData - std::min(kMaxFileData, buf.size()), v.size());
    c.ctr.smb_file_data_cut += v.size() - n;
    buf.append(v.data(), n);
  }
  // The record ended: rules see the file's new bytes.
  void end_stream(ParseCtx& c, Dir d, Side& s) {
    if (s.ftx == nullptr) return;
    s.ftx->set_progress(d, TxProgress::kBody);
    c.update(d, *s.ftx);
    s.ftx = nullptr;
  }

  SmbTx* file_tx(ParseCtx& c, Dir d, const std::string& fid, uint64_t session, uint32_t tree_id,
                 const std::string& share, uint16_t cmd) {
    FileKey key{int(d), fid};
    if (auto it = ftxs_.find(key); it != ftxs_.end()) return it->second.get();
    if (ftxs_.size() >= kMaxOpenFiles) {
      ++c.ctr.smb_file_cut;
      return nullptr;
    }
    auto t = std::make_unique<SmbTx>(next_id_++);
    ++c.ctr.tx_smb;
    t->dialect = dialect();
    t->cmd = cmd;
    t->kind = Kind::kFile;
    t->session_id = session;
    t->tree_id = tree_id;
    t->fid = fid;
    t->fuid = guid_string(fid);
    auto name = files_.find(fid);
    t->filename = name != files_.end() ? name->second : "<unknown>";
    t->file_share = share;
    t->file = std::make_unique<TrackedFile>(*c.files, t->filename, d, t->tx_id());
    t->file_buffers();
    SmbTx* p = t.get();
    ftxs_.emplace(std::move(key), std::move(t));
    return p;
  }

  // The file ends (closed: by its CLOSE; else truncated): rules see its
  // hashes, then its transaction is logged and freed.
  void end_file(ParseCtx& c, FileMap::iterator it, bool closed) {
    SmbTx& t = *it->second;
    if (closed) {
      t.file->close();
    } else {
      t.file->truncate();
    }
    Dir d = t.file->dir();
    t.file_buffers();
    t.set_progress(d, TxProgress::kBody);
    c.update(d, t);
    finalize(t);
    c.done(t);
    ftxs_.erase(it);
  }
  void close_file(ParseCtx& c, Dir d, const std::string& fid) {
    auto it = ftxs_.find({int(d), fid});
    if (it == ftxs_.end()) return;
    if (side_[int(d)].ftx == it->second.get()) side_[int(d)].ftx = nullptr;
    end_file(c, it, true);
  }

  static bool smb_magic(std::string_view r) {
    return r.size() >= 4 && (uint8_t(r[0]) == 0xFE || uint8_t(r[0]) == 0xFF || uint8_t(r[0]) == 0xFD) &&
           r.substr(1, 3) == "SMB";
  }

  void start_resync(Side& s) {
    s.resync = true;
    s.in_record = false;
    s.hdr_len = 0;
    s.rec = std::string();
    s.tail.clear();
    s.scanned = 0;
  }

  // Looks for a session message header followed by an SMB magic; returns the
  // bytes from there (or nothing when none is in sight yet).
  Bytes resync(ParseCtx& c, Side& s, Bytes b) {
    std::string buf = std::move(s.tail);
    buf.append(reinterpret_cast<const char*>(b.data()), b.size());
    for (size_t i = 0; i + 8 <= buf.size(); ++i) {
      if (buf[i] != 0 || !smb_magic(std::string_view(buf).substr(i + 4, 4))) continue;
      uint32_t len =
          (uint32_t(uint8_t(buf[i + 1])) << 16) | (uint32_t(uint8_t(buf[i + 2])) << 8) | uint8_t(buf[i + 3]);
      if (len < 32) continue;
      ++c.ctr.smb_resync;
      s.resync = false;
      s.tail.clear();
      // The found start may lie in the kept tail: hand it over as a copy.
      pending_ = buf.substr(i);
      return {reinterpret_cast<const uint8_t*>(pending_.data()), pending_.size()};
    }
    s.scanned += b.size();
    s.tail = buf.substr(buf.size() > 7 ? buf.size() - 7 : 0);
    if (s.scanned > kMaxResync) {
      s.stopped = true;
      ++c.ctr.smb_stopped;
    }
    return {};
  }

  void record(ParseCtx& c, Dir d, std::string_view r, bool cut) {
    if (!smb_magic(r)) {  // shorter than the magic
      ++c.ctr.smb_bad_record;
      return;
    }
    switch (uint8_t(r[0])) {
      case 0xFE:
        smb2_record(c, d, r, cut);
        break;
      case 0xFF:
        smb1_record(c, d, r);
        break;
      default:  // 0xFD: SMB3 transform header, encrypted
        ++c.ctr.smb_encrypted_records;
        break;
    }
  }

  // ---- transactions

  SmbTx& new_tx(ParseCtx& c) {
    if (txs_.size() >= std::max<uint32_t>(1, c.cfg.max_tx_per_flow)) {
      ++c.ctr.smb_tx_cut;
      pop_front(c);
    }
    txs_.push_back(std::make_unique<SmbTx>(next_id_++));
    txs_.back()->dialect = dialect();  // for alerts before the tx completes
    ++c.ctr.tx_smb;
    return *txs_.back();
  }

  SmbTx* find(int ver, uint64_t msg_id, uint16_t cmd) {
    for (auto& t : txs_)
      if (t->ver == ver && t->msg_id == msg_id && t->cmd == cmd && t->request && !t->response) return t.get();
    return nullptr;
  }

  void complete(ParseCtx& c, SmbTx* t) {
    for (auto it = txs_.begin(); it != txs_.end(); ++it) {
      if (it->get() != t) continue;
      finalize(*t);
      c.done(*t);
      txs_.erase(it);
      return;
    }
  }

  void pop_front(ParseCtx& c) {
    SmbTx& t = *txs_.front();
    finalize(t);
    c.done(t);
    txs_.pop_front();
  }

  void finalize(SmbTx& t) {
    t.set_progress(Dir::kToServer, TxProgress::kComplete);
    t.set_progress(Dir::kToClient, TxProgress::kComplete);
    t.dialect = dialect();
  }
  std::string dialect() const { return dialect2_ != 0 ? smb::smb2_dialect_name(dialect2_) : dialect1_; }

  void add_tree(ParseCtx& c, uint64_t session, uint32_t tree, const std::string& share, bool pipe) {
    auto key = std::make_pair(session, tree);
    if (trees_.size() >= kMaxTrees && trees_.find(key) == trees_.end()) {
      ++c.ctr.smb_table_cut;
      return;
    }
    trees_[key] = Tree{share, pipe};
  }
  const Tree* tree(uint64_t session, uint32_t tree) const {
    auto it = trees_.find({session, tree});
    return it == trees_.end() ? nullptr : &it->second;
  }
  void add_file(ParseCtx& c, const std::string& fid, const std::string& name) {
    if (files_.size() >= kMaxFiles && files_.find(fid) == files_.end()) {
      ++c.ctr.smb_table_cut;
      return;
    }
    files_[fid] = name;
  }

  // ---- SMB2

  void smb2_record(ParseCtx& c, Dir d, std::string_view r, bool cut) {
    size_t off = 0;
    Related rel;
    for (int n = 0; n < 256; ++n) {
      std::string_view h = r.substr(off);
      if (h.size() < 64 || h.substr(0, 4) != "\xfeSMB" || le16(h, 4) != 64) {
        if (!cut) {
          ++c.ctr.smb_malformed;
          ++c.ctr.err_smb;
        }
        return;
      }
      uint32_t next = le32(h, 20);
      std::string_view el = h;
      if (next != 0) {
        if (next < 64 || next % 8 != 0 || next > h.size()) {
          if (next < 64 || next % 8 != 0 || !cut) {
            ++c.ctr.smb_malformed;
            ++c.ctr.err_smb;
            return;
          }
          next = 0;  // the rest of the chain was cut: parse what is here
        } else {
          el = h.substr(0, next);
        }
      }
      smb2_element(c, d, el, rel);
      if (next == 0) return;
      off += next;
    }
  }

  // What a related (compound) element inherits from the one before it.
  struct Related {
    uint64_t session = 0;
    uint32_t tree = 0;
    std::string create_name;  // the CREATE earlier in the chain (FileId all ones)
    bool create_pipe = false;
  };

  void smb2_element(ParseCtx& c, Dir d, std::string_view h, Related& rel) {
    uint32_t status = le32(h, 8);
    uint16_t cmd = le16(h, 12);
    uint32_t flags = le32(h, 16);
    uint64_t msg_id = le64(h, 24);
    bool resp = flags & 1u;
    bool async = flags & 2u;
    bool related = flags & 4u;
    uint32_t tree_id = async ? 0 : le32(h, 36);
    uint64_t session = le64(h, 40);
    if (related && session == ~uint64_t{0}) session = rel.session;
    if (related && !async && tree_id == ~uint32_t{0}) tree_id = rel.tree;
    rel.session = session;
    rel.tree = tree_id;
    std::string_view body = h.substr(64);
    (void)d;
    if (!resp) {
      SmbTx& t = new_tx(c);
      t.ver = 2;
      t.cmd = cmd;
      t.msg_id = msg_id;
      t.session_id = session;
      t.tree_id = tree_id;
      t.request = true;
      smb2_request(c, t, h, body, rel);
      t.set_progress(Dir::kToServer, TxProgress::kComplete);
      c.update(Dir::kToServer, t);
      if (cmd == kCancel) complete(c, &t);
      return;
    }
    SmbTx* t = find(2, msg_id, cmd);
    if (t == nullptr && cmd == kNegotiate)
      t = find(1, smb1_negotiate_key_, k1Negotiate);     // SMB1 → SMB2 upgrade
    if (status == smb::kStatusPending && async) return;  // interim: the final response follows
    if (t == nullptr) {
      if (msg_id != ~uint64_t{0}) ++c.ctr.smb_unsolicited_response;
      t = &new_tx(c);
      t->ver = 2;
      t->cmd = cmd;
      t->msg_id = msg_id;
      t->session_id = session;
      t->tree_id = tree_id;
    }
    if (t->ver == 2 && t->session_id == 0) t->session_id = session;
    if (t->ver == 2 && t->tree_id == 0 && cmd == kTreeConnect) t->tree_id = tree_id;
    t->response = true;
    t->has_status = true;
    t->status = status;
    resolve(*t);
    smb2_response(c, *t, cmd, status, session, tree_id, body);
    if (cmd == kIoctl && t->function == kPipeTransceive && body.size() >= 40)
      dce(c, *t, sub(h, le32(body, 32), le32(body, 36)), Dir::kToClient);
    if (cmd == kRead && t->kind == Kind::kFile && body.size() >= 16 && t->pipe)
      dce(c, *t, sub(h, uint8_t(body[2]), le32(body, 4)), Dir::kToClient);
    t->set_progress(Dir::kToClient, TxProgress::kComplete);
    c.update(Dir::kToClient, *t);
    complete(c, t);
  }

  void smb2_request(ParseCtx& c, SmbTx& t, std::string_view h, std::string_view body, Related& rel) {
    switch (t.cmd) {
      case kNegotiate: {
        t.kind = Kind::kNegotiate;
        if (body.size() < 36) break;
        uint16_t n = le16(body, 2);
        t.client_guid = guid_string(body.substr(12, 16));
        for (size_t i = 0; i < n && i < kMaxDialects && 36 + 2 * i + 2 <= body.size(); ++i)
          t.client_dialects.push_back(smb::smb2_dialect_name(le16(body, 36 + 2 * i)));
        break;
      }
      case kSessionSetup: {
        t.kind = Kind::kSessionSetup;
        if (body.size() < 24) break;
        auto blob = sub(h, le16(body, 12), le16(body, 14));
        auto n = find_ntlmssp_auth(blob);
        if (!n.ok) break;
        set_ntlmssp(t, n);
        break;
      }
      case kTreeConnect: {
        t.kind = Kind::kTreeConnect;
        if (body.size() < 8) break;
        t.share = cap(utf16le_to_utf8(sub(h, le16(body, 4), le16(body, 6))));
        t.is_pipe = ends_with_ipc(t.share);
        t.bufs.set(t.is_pipe ? BufferId::kSmbNamedPipe : BufferId::kSmbShare, Dir::kToServer, t.share);
        break;
      }
      case kCreate: {
        t.kind = Kind::kCreate;
        if (body.size() < 56) break;
        t.disposition = le32(body, 36);
        uint32_t options = le32(body, 40);
        t.directory = options & 1u;
        t.delete_on_close = options & 0x1000u;
        t.filename = cap(utf16le_to_utf8(sub(h, le16(body, 44), le16(body, 46))));
        const Tree* tr = tree(t.session_id, t.tree_id);
        rel.create_name = t.filename;
        rel.create_pipe = tr != nullptr && tr->is_pipe;
        if (rel.create_pipe) t.bufs.set(BufferId::kSmbNamedPipe, Dir::kToServer, t.filename);
        break;
      }
      case kRead:
      case kWrite:
      case kClose:
      case kIoctl: {
        size_t fo = t.cmd == kClose ? 8 : t.cmd == kIoctl ? 8 : 16;
        if (body.size() < fo + 16) break;
        std::string fid(body.substr(fo, 16));
        if (t.cmd == kIoctl) {
          t.kind = Kind::kIoctl;
          t.function = le32(body, 4);
          if (t.function == kPipeTransceive && body.size() >= 32)
            dce(c, t, sub(h, le32(body, 24), le32(body, 28)), Dir::kToServer);
          break;
        }
        t.kind = Kind::kFile;
        file_of(t, fid, rel);
        t.pipe = on_pipe(t, rel);
        if (t.cmd == kRead) t.read_offset = le64(body, 8);
        if (t.cmd == kClose && !t.fid.empty()) close_file(c, Dir::kToServer, t.fid);
        if (t.cmd == kWrite && t.pipe) dce(c, t, sub(h, le16(body, 2), le32(body, 4)), Dir::kToServer);
        break;
      }
      default:
        break;
    }
  }

  bool on_pipe(const SmbTx& t, const Related& rel) const {
    if (t.fid.empty()) return rel.create_pipe;
    const Tree* tr = tree(t.session_id, t.tree_id);
    return tr != nullptr && tr->is_pipe;
  }

  // One DCERPC PDU (connection-oriented, little-endian data representation)
  // at the start of a pipe's bytes: its type, call id, opnum and stub size;
  // BIND contexts become the flow's interfaces, BIND_ACK results ack them.
  // A REQUEST's or RESPONSE's stub data (its first kMaxStub bytes, the rest
  // counted) becomes dcerpc.stub_data of that direction.
  void dce(ParseCtx& c, SmbTx& t, std::string_view p, Dir d) {
    if (p.size() < 16 || p[0] != 5 || (uint8_t(p[4]) & 0x10) == 0) return;
    uint8_t type = uint8_t(p[2]);
    size_t frag = std::min<size_t>(le16(p, 8), p.size());
    t.has_dce = true;
    t.dce_call_id = le32(p, 12);
    if (d == Dir::kToServer) {
      t.dce_req = true;
      t.dce_req_type = type;
      t.dce_req_flags = uint8_t(p[3]);
      if (type == 0 && p.size() >= 24) {
        t.dce_ctx = le16(p, 20);
        t.dce_opnum = le16(p, 22);
        t.dce_req_stub = uint32_t(frag > 24 ? frag - 24 : 0);
        stub(c, t, p, frag, (uint8_t(p[3]) & 0x80) ? 40 : 24, d);
      } else if ((type == 11 || type == 14) && p.size() >= 28) {
        bind_first_ = dce_ifaces_.size();
        size_t n = uint8_t(p[24]), o = 28;
        for (size_t i = 0; i < n && o + 24 <= p.size() && dce_ifaces_.size() < kMaxIfaces; ++i) {
          SmbTx::Iface f;
          f.ctx_id = le16(p, o);
          size_t nts = uint8_t(p[o + 2]);
          f.uuid = guid_string(p.substr(o + 4, 16));
          f.ver = le16(p, o + 20);
          f.ver_min = le16(p, o + 22);
          dce_ifaces_.push_back(std::move(f));
          o += 24 + 20 * nts;
        }
      }
    } else {
      t.dce_res = true;
      t.dce_res_type = type;
      t.dce_res_flags = uint8_t(p[3]);
      if (type == 2) {
        t.dce_res_stub = uint32_t(frag > 24 ? frag - 24 : 0);
        if (p.size() >= 24 && !(t.dce_req && t.dce_req_type == 0)) t.dce_ctx = le16(p, 20);
        stub(c, t, p, frag, 24, d);
      }
      if ((type == 12 || type == 15) && p.size() >= 26) {
        size_t o = 26 + le16(p, 24);
        o = (o + 3) & ~size_t{3};
        if (o + 4 <= p.size()) {
          size_t n = uint8_t(p[o]);
          o += 4;
          for (size_t i = 0; i < n && o + 24 <= p.size() && bind_first_ + i < dce_ifaces_.size();
               ++i, o += 24) {
            auto& f = dce_ifaces_[bind_first_ + i];
            f.acked = true;
            f.result = le16(p, o);
            f.reason = le16(p, o + 2);
          }
        }
      }
    }
    t.dce_ifaces.clear();
    for (auto& f : dce_ifaces_)
      if (type == 11 || type == 12 ||
          (((t.dce_req && t.dce_req_type == 0) || (t.dce_res && t.dce_res_type == 2)) &&
           f.ctx_id == t.dce_ctx))
        t.dce_ifaces.push_back(f);
  }
  // The stub of a REQUEST/RESPONSE PDU of frag bytes: from hdr to the auth
  // verifier (8 bytes + auth_length at offset 10) or the end.
  static void stub(ParseCtx& c, SmbTx& t, std::string_view p, size_t frag, size_t hdr, Dir d) {
    size_t auth = le16(p, 10);
    size_t end = auth > 0 && auth + 8 <= frag ? frag - auth - 8 : frag;
    if (end <= hdr) return;
    std::string_view v = p.substr(hdr, end - hdr);
    if (v.size() > kMaxStub) {
      c.ctr.smb_dcerpc_stub_cut += v.size() - kMaxStub;
      v = v.substr(0, kMaxStub);
    }
    t.bufs.set(BufferId::kDcerpcStubData, d, v);
  }

  void file_of(SmbTx& t, const std::string& fid, const Related& rel) {
    if (fid == std::string(16, '\xff')) {  // the file the chain's CREATE opens
      t.filename = rel.create_name;
    } else {
      auto it = files_.find(fid);
      t.filename = it != files_.end() ? it->second : "<unknown>";
      t.fuid = guid_string(fid);
      t.fid = fid;
    }
    const Tree* tr = tree(t.session_id, t.tree_id);
    t.file_share = tr != nullptr ? tr->share : "";
  }

  // A READ/WRITE/CLOSE sent before the answers that name its file or share
  // (pipelined requests) looks them up again when its own answer comes.
  void resolve(SmbTx& t) const {
    if (t.kind != Kind::kFile) return;
    if (t.filename == "<unknown>") {
      auto it = files_.find(t.fid);
      if (it != files_.end()) t.filename = it->second;
    }
    if (t.file_share.empty()) {
      const Tree* tr = tree(t.session_id, t.tree_id);
      if (tr != nullptr) {
        t.file_share = tr->share;
        t.pipe = t.pipe || tr->is_pipe;
      }
    }
  }

  void smb2_response(ParseCtx& c, SmbTx& t, uint16_t cmd, uint32_t status, uint64_t session, uint32_t tree_id,
                     std::string_view body) {
    bool ok = status == smb::kStatusSuccess;
    switch (cmd) {
      case kNegotiate:
        t.kind = Kind::kNegotiate;
        if (body.size() < 64 || le16(body, 0) != 65) break;
        dialect2_ = le16(body, 4);
        t.server_guid = guid_string(body.substr(8, 16));
        t.max_read = le32(body, 32);
        t.max_write = le32(body, 36);
        break;
      case kTreeConnect:
        if (t.ver != 2 || body.size() < 16) break;
        t.share_type = uint8_t(body[2]);
        if (ok) {
          t.is_pipe = t.share_type == 2 || (t.share_type < 1 && t.is_pipe);
          add_tree(c, session, tree_id, t.share, t.is_pipe);
        }
        break;
      case kCreate:
        if (body.size() < 80 || !ok) break;
        t.created = filetime_to_unix(le64(body, 8));
        t.accessed = filetime_to_unix(le64(body, 16));
        t.modified = filetime_to_unix(le64(body, 24));
        t.changed = filetime_to_unix(le64(body, 32));
        t.size = le64(body, 48);
        {
          std::string fid(body.substr(64, 16));
          t.fuid = guid_string(fid);
          add_file(c, fid, t.filename);
        }
        break;
      case kClose:
        if (!t.fid.empty()) close_file(c, Dir::kToClient, t.fid);
        if (ok && !t.fid.empty()) files_.erase(t.fid);
        break;
      case kTreeDisconnect:
        if (ok) trees_.erase({session, tree_id});
        break;
      default:
        break;
    }
  }

  // ---- SMB1

  void smb1_record(ParseCtx& c, Dir d, std::string_view r) {
    if (r.size() < 35) {
      ++c.ctr.smb_malformed;
      ++c.ctr.err_smb;
      return;
    }
    uint8_t cmd = uint8_t(r[4]);
    uint8_t flags = uint8_t(r[9]);
    uint16_t flags2 = le16(r, 10);
    bool nt = flags2 & 0x4000;
    bool unicode = flags2 & 0x8000;
    uint32_t pid = (uint32_t(le16(r, 12)) << 16) | le16(r, 26);
    uint16_t tid = le16(r, 24), uid = le16(r, 28), mid = le16(r, 30);
    uint64_t key = uint64_t(mid) | (uint64_t(pid) << 16);
    uint8_t wc = uint8_t(r[32]);
    std::string_view words = sub(r, 33, size_t(wc) * 2);
    size_t bc_at = 33 + size_t(wc) * 2;
    std::string_view bytes;
    if (bc_at + 2 <= r.size())
      bytes = r.substr(bc_at + 2, std::min<size_t>(le16(r, bc_at), r.size() - bc_at - 2));
    size_t bytes_at = bc_at + 2;
    bool resp = flags & 0x80;
    (void)d;
    if (!resp) {
      SmbTx& t = new_tx(c);
      t.ver = 1;
      t.cmd = cmd;
      t.msg_id = key;
      t.session_id = uid;
      t.tree_id = tid;
      t.request = true;
      smb1_request(t, words, bytes, bytes_at, unicode);
      if (cmd == k1Negotiate) smb1_negotiate_key_ = key;
      t.set_progress(Dir::kToServer, TxProgress::kComplete);
      c.update(Dir::kToServer, t);
      return;
    }
    SmbTx* t = find(1, key, cmd);
    if (t == nullptr) {
      ++c.ctr.smb_unsolicited_response;
      t = &new_tx(c);
      t->ver = 1;
      t->cmd = cmd;
      t->msg_id = key;
      t->session_id = uid;
      t->tree_id = tid;
    }
    t->response = true;
    t->has_status = true;
    if (nt) {
      t->status = le32(r, 5);
    } else {
      t->dos_error = uint8_t(r[5]) != 0 || le16(r, 7) != 0;
      t->dos_class = uint8_t(r[5]);
      t->dos_code = le16(r, 7);
    }
    if (t->session_id == 0) t->session_id = uid;
    if (t->tree_id == 0) t->tree_id = tid;
    resolve(*t);
    smb1_response(c, *t, words, bytes, uid, tid);
    t->set_progress(Dir::kToClient, TxProgress::kComplete);
    c.update(Dir::kToClient, *t);
    complete(c, t);
  }

  // An SMB1 string at `at` (an offset from the SMB header, for alignment)
  // inside bytes, NUL-terminated.
  static std::string smb1_string(std::string_view bytes, size_t bytes_at, size_t& pos, bool unicode) {
    if (unicode) {
      if ((bytes_at + pos) % 2 != 0) ++pos;
      size_t e = pos;
      while (e + 1 < bytes.size() && !(bytes[e] == 0 && bytes[e + 1] == 0)) e += 2;
      std::string s = utf16le_to_utf8(bytes.substr(std::min(pos, bytes.size()), e - std::min(pos, e)));
      pos = e + 2;
      return cap(s);
    }
    size_t e = bytes.find('\0', std::min(pos, bytes.size()));
    if (e == std::string_view::npos) e = bytes.size();
    std::string s(bytes.substr(std::min(pos, bytes.size()), e - std::min(pos, e)));
    pos = e + 1;
    return cap(s);
  }

  void smb1_request(SmbTx& t, std::string_view words, std::string_view bytes, size_t bytes_at, bool unicode) {
    switch (t.cmd) {
      case k1Negotiate: {
        t.kind = Kind::kNegotiate;
        size_t p = 0;
        while (p < bytes.size() && t.client_dialects.size() < kMaxDialects) {
          if (bytes[p] != 0x02) break;
          size_t e = bytes.find('\0', p + 1);
          if (e == std::string_view::npos) e = bytes.size();
          t.client_dialects.push_back(cap(std::string(bytes.substr(p + 1, e - p - 1))));
          p = e + 1;
        }
        break;
      }
      case k1SessionSetup: {
        t.kind = Kind::kSessionSetup;
        auto n = find_ntlmssp_auth(bytes);
        if (!n.ok) break;
        set_ntlmssp(t, n);
        break;
      }
      case k1TreeConnectAndX: {
        t.kind = Kind::kTreeConnect;
        if (words.size() < 8) break;
        size_t pos = le16(words, 6);  // password length
        t.share = smb1_string(bytes, bytes_at, pos, unicode);
        size_t e = bytes.find('\0', std::min(pos, bytes.size()));
        if (pos < bytes.size()) {
          t.svc_req =
              cap(std::string(bytes.substr(pos, (e == std::string_view::npos ? bytes.size() : e) - pos)));
          t.has_svc_req = true;
        }
        t.is_pipe = ends_with_ipc(t.share) || t.svc_req == "IPC";
        t.bufs.set(t.is_pipe ? BufferId::kSmbNamedPipe : BufferId::kSmbShare, Dir::kToServer, t.share);
        break;
      }
      case k1NtCreateAndX: {
        t.kind = Kind::kCreate;
        if (words.size() < 48) break;
        size_t len = le16(words, 5);
        t.disposition = le32(words, 35);
        uint32_t options = le32(words, 39);
        t.directory = options & 1u;
        t.delete_on_close = options & 0x1000u;
        size_t pos = unicode && bytes_at % 2 != 0 ? 1 : 0;
        auto raw = sub(bytes, pos, std::min(len, bytes.size() - std::min(pos, bytes.size())));
        t.filename = cap(unicode ? utf16le_to_utf8(raw) : std::string(raw.substr(0, raw.find('\0'))));
        const Tree* tr = tree(t.session_id, t.tree_id);
        if (tr != nullptr && tr->is_pipe) t.bufs.set(BufferId::kSmbNamedPipe, Dir::kToServer, t.filename);
        break;
      }
      case k1ReadAndX:
      case k1WriteAndX:
      case k1Close: {
        size_t fo = t.cmd == k1Close ? 0 : 4;
        if (words.size() < fo + 2) break;
        t.kind = Kind::kFile;
        std::string fid(words.substr(fo, 2));
        auto it = files_.find(fid);
        t.filename = it != files_.end() ? it->second : "<unknown>";
        char b[8];
        std::snprintf(b, sizeof b, "%02x%02x", uint8_t(fid[1]), uint8_t(fid[0]));
        t.fuid = b;
        t.fid = fid;
        const Tree* tr = tree(t.session_id, t.tree_id);
        t.file_share = tr != nullptr ? tr->share : "";
        break;
      }
      default:
        break;
    }
  }

  void smb1_response(ParseCtx& c, SmbTx& t, std::string_view words, std::string_view bytes, uint16_t uid,
                     uint16_t tid) {
    bool ok = !t.dos_error && t.status == 0;
    switch (t.cmd) {
      case k1Negotiate:
        if (words.size() >= 2) {
          uint16_t i = le16(words, 0);
          if (i < t.client_dialects.size()) dialect1_ = t.client_dialects[i];
        }
        break;
      case k1TreeConnectAndX:
        if (t.kind != Kind::kTreeConnect) break;
        {
          size_t e = bytes.find('\0');
          t.svc_res = cap(std::string(bytes.substr(0, e)));
          t.has_svc_res = !bytes.empty();
          if (t.svc_res == "IPC") t.is_pipe = true;
        }
        if (ok) add_tree(c, uid, tid, t.share, t.is_pipe);
        break;
      case k1Close:
        if (ok && !t.fid.empty()) files_.erase(t.fid);
        break;
      case k1NtCreateAndX:
        if (words.size() < 68 || !ok || t.kind != Kind::kCreate) break;
        {
          std::string fid(words.substr(5, 2));
          char b[8];
          std::snprintf(b, sizeof b, "%02x%02x", uint8_t(fid[1]), uint8_t(fid[0]));
          t.fuid = b;
          t.created = filetime_to_unix(le64(words, 11));
          t.accessed = filetime_to_unix(le64(words, 19));
          t.modified = filetime_to_unix(le64(words, 27));
          t.changed = filetime_to_unix(le64(words, 35));
          t.size = le64(words, 55);
          add_file(c, fid, t.filename);
        }
        break;
      default:
        break;
    }
  }

  Side side_[2];
  std::deque<std::unique_ptr<SmbTx>> txs_;  // open, oldest first
  uint64_t next_id_ = 0;
  uint16_t dialect2_ = 0;  // SMB2 dialect from the negotiate response
  std::string dialect1_;   // SMB1 dialect ("NT LM 0.12")
  uint64_t smb1_negotiate_key_ = 0;
  std::map<std::pair<uint64_t, uint32_t>, Tree> trees_;
  std::map<std::string, std::string> files_;  // file id bytes → name
  FileMap ftxs_;                              // open file transactions
  std::string pending_;                       // bytes handed back by resync()
  std::vector<SmbTx::Iface> dce_ifaces_;      // DCERPC interfaces bound on this flow
  size_t bind_first_ = 0;                     // the first interface of the last BIND
};

}  // namespace

std::unique_ptr<AppParser> make_smb_parser() {
  return std::make_unique<SmbParser>();
}

}  // namespace vigil
