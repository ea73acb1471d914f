// SSH parser: the identification banner of each side ("SSH-2.0-OpenSSH_8.9p1
// Ubuntu-3"), then the cleartext binary packets of the key exchange up to
// NEWKEYS, after which the direction is opaque and only counted. When both
// sides are opaque the transaction is logged and the flow is cheap.
//
// Bounds: a banner line <= kMaxBanner bytes (RFC 4253 allows 255); lines
// before the banner (server greeting text) <= kMaxPreBannerLines.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/app/parsers.h"
#include "agent/app/tx_base.h"

namespace vigil {
namespace {

constexpr size_t kMaxBanner = 255;
constexpr int kMaxPreBannerLines = 32;
constexpr uint32_t kMaxPacket = 256 * 1024;

class SshTx : public TxBase {
 public:
  SshTx() : TxBase(AppProto::kSsh, 0) {}
  std::string proto[2], software[2];
  bool has_banner[2] = {false, false};

  void to_eve(nlohmann::ordered_json& out) const override {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    const char* names[2] = {"client", "server"};
    for (int i = 0; i < 2; ++i) {
      if (!has_banner[i]) continue;
      j[names[i]] = {{"proto_version", eve_string(proto[i])}, {"software_version", eve_string(software[i])}};
    }
    out["ssh"] = std::move(j);
  }
};

enum class St : uint8_t { kBanner, kPacketHeader, kPacketSkip, kOpaque, kError };

struct SshSide {
  St st = St::kBanner;
  std::string line;
  int pre_lines = 0;
  uint8_t hdr[6];
  size_t hdr_len = 0;
  uint64_t skip = 0;
};

class SshParser : public AppParser {
 public:
  void data(ParseCtx& c, Dir d, Bytes b) override {
    SshSide& s = side_[static_cast<int>(d)];
    while (!b.empty()) {
      switch (s.st) {
        case St::kBanner:
          banner(c, d, b);
          break;
        case St::kPacketHeader: {
          size_t n = std::min(6 - s.hdr_len, b.size());
          std::copy_n(b.begin(), n, s.hdr + s.hdr_len);
          s.hdr_len += n;
          b = b.subspan(n);
          if (s.hdr_len < 6) break;
          s.hdr_len = 0;
          uint32_t len =
              (uint32_t{s.hdr[0]} << 24) | (uint32_t{s.hdr[1]} << 16) | (uint32_t{s.hdr[2]} << 8) | s.hdr[3];
          uint8_t msg = s.hdr[5];
          if (len < 2 || len > kMaxPacket) {
            ++c.ctr.ssh_bad_packet;
            ++c.ctr.err_ssh;
            opaque(c, d);  // framing unknown: nothing more to learn here
            break;
          }
          s.skip = len - 2;
          s.st = St::kPacketSkip;
          if (msg == 21) newkeys_ = newkeys_ | (d == Dir::kToServer ? 1 : 2);
          break;
        }
        case St::kPacketSkip: {
          size_t n = static_cast<size_t>(std::min<uint64_t>(s.skip, b.size()));
          b = b.subspan(n);
          s.skip -= n;
          if (s.skip == 0) {
            s.st = St::kPacketHeader;
            if (newkeys_ & (d == Dir::kToServer ? 1 : 2)) opaque(c, d);
          }
          break;
        }
        case St::kOpaque:
        case St::kError:
          c.ctr.ssh_encrypted_bytes += b.size();
          b = {};
          break;
      }
    }
  }

  void gap(ParseCtx& c, Dir d, uint64_t) override {
    ++c.ctr.gap_ssh;
    opaque(c, d);
  }
  void end(ParseCtx&, Dir) override {}
  void finish(ParseCtx& c) override {
    if (tx_ && !logged_) {
      logged_ = true;
      c.done(*tx_);
    }
    tx_.reset();
  }

 private:
  SshTx& tx(ParseCtx& c) {
    if (!tx_) {
      tx_ = std::make_unique<SshTx>();
      ++c.ctr.tx_ssh;
    }
    return *tx_;
  }

  void banner(ParseCtx& c, Dir d, Bytes& b) {
    SshSide& s = side_[static_cast<int>(d)];
    const auto* p = reinterpret_cast<const char*>(b.data());
    std::string_view in(p, b.size());
    size_t nl = in.find('\n');
    size_t take = nl == std::string_view::npos ? in.size() : nl;
    if (s.line.size() + take > kMaxBanner) {
      ++c.ctr.ssh_banner_too_long;
      ++c.ctr.err_ssh;
      s.st = St::kError;
      opaque(c, d);
      return;
    }
    s.line.append(in.substr(0, take));
    if (nl == std::string_view::npos) {
      b = {};
      return;
    }
    b = b.subspan(nl + 1);
    std::string_view line = s.line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 4) != "SSH-") {
      // Servers may send text lines before their banner (RFC 4253 4.2).
      s.line.clear();
      if (d == Dir::kToServer || ++s.pre_lines > kMaxPreBannerLines) {
        ++c.ctr.ssh_bad_banner;
        ++c.ctr.err_ssh;
        s.st = St::kError;
        opaque(c, d);
      }
      return;
    }
    auto rest = line.substr(4);
    size_t dash = rest.find('-');
    auto& t = tx(c);
    int i = static_cast<int>(d);
    t.has_banner[i] = true;
    if (dash == std::string_view::npos) {
      ++c.ctr.ssh_bad_banner;
      t.proto[i] = std::string(rest);
    } else {
      t.proto[i] = std::string(rest.substr(0, dash));
      auto sw = rest.substr(dash + 1);
      t.software[i] = std::string(sw.substr(0, sw.find(' ')));
    }
    t.bufs.set(BufferId::kSshProto, d, t.proto[i]);
    t.bufs.set(BufferId::kSshSoftware, d, t.software[i]);
    t.set_progress(d, TxProgress::kHeaders);
    s.line = std::string();
    s.st = St::kPacketHeader;
    c.update(d, t);
  }

  void opaque(ParseCtx& c, Dir d) {
    SshSide& s = side_[static_cast<int>(d)];
    if (s.st != St::kError) s.st = St::kOpaque;
    if (tx_) tx_->set_progress(d, TxProgress::kComplete);
    bool both = (side_[0].st == St::kOpaque || side_[0].st == St::kError) &&
                (side_[1].st == St::kOpaque || side_[1].st == St::kError);
    if (both && tx_ && !logged_) {
      logged_ = true;
      c.done(*tx_);
      tx_.reset();
    }
  }

  SshSide side_[2];
  std::unique_ptr<SshTx> tx_;
  uint8_t newkeys_ = 0;
  bool logged_ = false;
};

}  // namespace

std::unique_ptr<AppParser> make_ssh_parser() {
  return std::make_unique<SshParser>();
}

}  // namespace vigil
