// ftp-data flows: one transaction per flow holding the transfer's command and
// file name (from the control connection) and its bytes as file.data in the
// direction they travel, up to kMaxFileData bytes (the rest counted:
// app_layer.limit.ftp_data.file_data). Logged (and freed) when that direction
// closes, or when the flow ends; alerts
// carry Suricata 7's `ftp_data` object {filename, command}.
#include "agent/app/ftp_data.h"

#include <nlohmann/json.hpp>

#include "agent/app/tx_base.h"

namespace vigil {

void FtpExpectations::add(FtpExpectation e, AppCounters& ctr) {
  if (q_.size() >= kMaxExpectations) {
    ++ctr.ftp_expect_cut;
    q_.pop_front();
  }
  q_.push_back(std::move(e));
}

std::optional<FtpExpectation> FtpExpectations::take(const Flow& f) {
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
  bool integer(TxInt f, Dir, int64_t* out) const override {
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
  void gap(ParseCtx& c, Dir, uint64_t) override { ++c.ctr.gap_ftp; }
  // The transfer ends with the close of the direction that carried it: log
  // and free it now, not when the flow table lets the flow go.
  void end(ParseCtx& c, Dir d) override {
    if (tx_ && tx_->buffer_count(BufferId::kFileData, d) > 0) finish(c);
  }
  void finish(ParseCtx& c) override {
    if (!tx_) return;
    tx_->set_progress(Dir::kToServer, TxProgress::kComplete);
    tx_->set_progress(Dir::kToClient, TxProgress::kComplete);
    if (counted_) c.done(*tx_);
    tx_.reset();
  }

 private:
  std::unique_ptr<FtpDataTx> tx_;
  bool counted_ = false;
};

}  // namespace

std::unique_ptr<AppParser> make_ftp_data_parser(FtpExpectation e) {
  return std::make_unique<FtpDataParser>(std::move(e));
}

}  // namespace vigil
