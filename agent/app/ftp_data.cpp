// ftp-data flows: one transaction per flow holding the transfer's command and
// file name (from the control connection) and its bytes as file.data in the
// direction they travel, up to kMaxFileData bytes (the rest counted:
// app_layer.limit.ftp_data.file_data). Logged (and freed) when that direction
// closes, or when the flow ends; alerts
// carry Suricata 7's `ftp_data` object {filename, command}.
#include "agent/app/ftp_data.h"

#include <nlohmann/json.hpp>

#include "agent/app/file_tracker.h"
#include "agent/app/tx_base.h"
#include "agent/flow/tcp_session.h"
#include "common/packet.h"

namespace vigil {

void FtpExpectations::expire(int64_t now_sec, AppCounters& ctr) {
  // Announced in packet order: the oldest are at the front.
  while (!q_.empty() && now_sec - q_.front().added_sec > kExpireSec) {
    ++ctr.ftp_expect_expired;
    q_.pop_front();
  }
}

void FtpExpectations::add(FtpExpectation e, AppCounters& ctr) {
  expire(e.added_sec, ctr);
  if (q_.size() >= kMaxExpectations) {
    ++ctr.ftp_expect_cut;
    q_.pop_front();
  }
  q_.push_back(std::move(e));
}

std::optional<FtpExpectation> FtpExpectations::take(const Flow& f, int64_t now_sec, AppCounters& ctr) {
  expire(now_sec, ctr);
  for (auto it = q_.begin(); it != q_.end(); ++it) {
    if (it->server == f.server && it->port == f.server_port && it->client == f.client) {
      FtpExpectation e = std::move(*it);
      q_.erase(it);
      return e;
    }
  }
  return std::nullopt;
}

namespace {

constexpr size_t kMaxFileData = 100 * 1024;  // as much as an HTTP body by default

class FtpDataTx : public TxBase {
 public:
  explicit FtpDataTx(FtpExpectation e) : TxBase(AppProto::kFtpData, 0), exp(std::move(e)) {}
  FtpExpectation exp;
  std::unique_ptr<TrackedFile> file;  // RETR/STOR/APPE, when files are tracked

  size_t file_count() const override { return file ? 1 : 0; }
  void file_to_eve(nlohmann::ordered_json& out, size_t i, Dir* d) const override {
    if (!file || i != 0) return;
    file->to_eve(out);
    if (d != nullptr) *d = file->dir();
  }
  void request_filestore(Dir d, uint32_t sid) const override {
    if (file && file->dir() == d) file->request_store(sid);
  }
  // Publishes file.name and, once the file ended, file.magic and the hashes.
  void file_buffers() {
    if (file) set_file_buffers(bufs, *file);
  }
  bool integer(TxInt f, Dir d, int64_t* out) const override {
    if (f == TxInt::kFileSize) {
      if (!file || file->dir() != d || file->state() == FileState::kOpen) return false;
      *out = static_cast<int64_t>(file->size());
      return true;
    }
    if (f != TxInt::kFtpDataCommand || (exp.command != "RETR" && exp.command != "STOR")) return false;
    *out = exp.command == "RETR" ? 1 : 2;
    return true;
  }
  void to_eve(nlohmann::ordered_json& out) const override {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (!exp.filename.empty()) j["filename"] = eve_string(exp.filename);
    if (!exp.command.empty()) j["command"] = eve_string(exp.command);
    out["ftp_data"] = std::move(j);
  }
};

class FtpDataParser : public AppParser {
 public:
  explicit FtpDataParser(FtpExpectation e) : tx_(std::make_unique<FtpDataTx>(std::move(e))) {}

  void data(ParseCtx& c, Dir d, Bytes b) override {
    if (!tx_) return;
    if (!counted_) {
      counted_ = true;
      ++c.ctr.tx_ftp_data;
      open_file(c);
    }
    if (tx_->file && tx_->file->dir() == d) {
      tx_->file->append(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    std::string& buf = tx_->bufs.slot(BufferId::kFileData, d);
    size_t room = kMaxFileData - std::min(kMaxFileData, buf.size());
    size_t n = std::min(room, b.size());
    if (n < b.size()) c.ctr.ftp_data_cut += b.size() - n;
    if (n == 0) return;
    buf.append(reinterpret_cast<const char*>(b.data()), n);
    tx_->set_progress(d, TxProgress::kBody);
    c.update(d, *tx_);
  }
  void gap(ParseCtx& c, Dir d, uint64_t len) override {
    ++c.ctr.gap_ftp;
    if (tx_ && tx_->file && tx_->file->dir() == d) tx_->file->gap(len);
  }
  // The transfer ends with the close of the direction that carried it: log
  // and free it now, not when the flow table lets the flow go. A FIN ends
  // the file whole (unless a gap hit it); a RST cuts it, and so does the
  // reassembly depth (stream.reassembly.depth: the bytes past it never came).
  void end(ParseCtx& c, Dir d) override {
    if (!tx_) return;
    if (tx_->file && tx_->file->dir() == d && tx_->file->state() == FileState::kOpen) {
      bool rst = c.pkt != nullptr && (c.pkt->tcp.flags & kTcpRst) != 0;
      bool depth = c.flow.tcp && c.flow.tcp->stream(d).depth_reached();
      if (c.pkt == nullptr || rst || depth) {
        tx_->file->truncate();
      } else {
        tx_->file->close();
      }
      end_file(c);
    }
    if (tx_->buffer_count(BufferId::kFileData, d) > 0) finish(c);
  }
  void finish(ParseCtx& c) override {
    if (!tx_) return;
    if (tx_->file && tx_->file->state() == FileState::kOpen) {
      tx_->file->truncate();  // the flow ended (timeout, shutdown) before the FIN
      end_file(c);
    }
    tx_->set_progress(Dir::kToServer, TxProgress::kComplete);
    tx_->set_progress(Dir::kToClient, TxProgress::kComplete);
    if (counted_) c.done(*tx_);
    tx_.reset();
  }

 private:
  void open_file(ParseCtx& c) {
    const std::string& cmd = tx_->exp.command;
    if (c.files == nullptr || (cmd != "RETR" && cmd != "STOR" && cmd != "APPE")) return;
    Dir d = cmd == "RETR" ? Dir::kToClient : Dir::kToServer;
    tx_->file = std::make_unique<TrackedFile>(*c.files, tx_->exp.filename, d, tx_->tx_id());
    tx_->file_buffers();
  }
  // The file ended: rules see its hashes (before the transaction is logged).
  void end_file(ParseCtx& c) {
    tx_->file_buffers();
    tx_->set_progress(tx_->file->dir(), TxProgress::kBody);
    c.update(tx_->file->dir(), *tx_);
  }

  std::unique_ptr<FtpDataTx> tx_;
  bool counted_ = false;
};

}  // namespace

std::unique_ptr<AppParser> make_ftp_data_parser(FtpExpectation e) {
  return std::make_unique<FtpDataParser>(std::move(e));
}

}  // namespace vigil
