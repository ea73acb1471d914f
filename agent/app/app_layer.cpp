// AppLayer: per-flow detection state, then dispatch to one parser.
//
// Until a protocol is known, the first bytes of each direction are kept (up
// to kPendingCap) so that the parser, once chosen, sees the stream from its
// start. A direction that cannot be any known protocol is marked failed; when
// both are, the flow's app_proto becomes "failed" and the flow costs nothing
// more here.
#include "agent/app/app_layer.h"

#include <string>

#include "agent/app/ftp_data.h"
#include "agent/app/parsers.h"
#include "agent/app/proto_detect.h"

namespace vigil {

uint32_t parsed_app_protos() {
  uint32_t m = 0;
  for (AppProto a : {AppProto::kHttp, AppProto::kDns, AppProto::kTls, AppProto::kSsh, AppProto::kSmtp,
                     AppProto::kFtp, AppProto::kFtpData, AppProto::kSmb, AppProto::kHttp2, AppProto::kDoh2})
    m |= 1u << unsigned(a);
  return m;
}
namespace {

constexpr size_t kPendingCap = 2048;
// UDP datagrams looked at per flow before giving up on detection.
constexpr uint32_t kUdpDetectTries = 3;

struct FlowApp : AppLayerState {
  std::unique_ptr<AppParser> parser;
  std::string pending[2];
  bool dir_failed[2] = {false, false};
  bool dir_checked[2] = {false, false};  // other direction confirmed after detection
  bool finished = false;                 // failed, or parser finished
  bool expect_checked = false;           // looked up in the FTP data expectations
  uint32_t udp_tries = 0;
};

Dir other(Dir d) {
  return d == Dir::kToServer ? Dir::kToClient : Dir::kToServer;
}
Bytes as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

struct AppLayer::Impl {
  AppConfig cfg;
  AppEvents& events;
  AppCounters ctr;
  std::unique_ptr<FileContext> files;  // when cfg.files.enabled
  FtpExpectations ftp_expect;

  Impl(const AppConfig& c, AppEvents& e) : cfg(c), events(e) {
    if (cfg.files.enabled) files = std::make_unique<FileContext>(cfg.files);
  }

  FlowApp& state(Flow& f) {
    if (!f.app) f.app = std::make_unique<FlowApp>();
    return static_cast<FlowApp&>(*f.app);
  }

  ParseCtx ctx(Flow& f, const Packet* p) {
    return ParseCtx{cfg, events, ctr, f, p, files.get(), &ftp_expect};
  }

  void set_dir_proto(Flow& f, Dir d, AppProto p) {
    AppProto& cur = d == Dir::kToServer ? f.app_proto_ts : f.app_proto_tc;
    if (cur == AppProto::kUnknown && p != AppProto::kUnknown) f.proto_done_pending[di(d)] = true;
    cur = p;
  }

  void start(Flow& f, FlowApp& s, AppProto p, bool tcp) {
    f.app_proto = p;
    switch (p) {
      case AppProto::kHttp:
        s.parser = make_http_parser();
        ++ctr.flow_http;
        break;
      case AppProto::kTls:
        s.parser = make_tls_parser();
        ++ctr.flow_tls;
        break;
      case AppProto::kSsh:
        s.parser = make_ssh_parser();
        ++ctr.flow_ssh;
        break;
      case AppProto::kSmtp:
        s.parser = make_smtp_parser();
        ++ctr.flow_smtp;
        break;
      case AppProto::kDns:
        s.parser = make_dns_parser(tcp);
        ++(tcp ? ctr.flow_dns_tcp : ctr.flow_dns_udp);
        break;
      case AppProto::kFtp:
        s.parser = make_ftp_parser();
        ++ctr.flow_ftp;
        break;
      case AppProto::kSmb:
        s.parser = make_smb_parser();
        ++ctr.flow_smb;
        break;
      case AppProto::kHttp2:
        s.parser = make_http2_parser();
        ++ctr.flow_http2;
        break;
      default:
        break;
    }
  }

  // Bytes to the flow's parser; when the parser hands the flow to another
  // protocol (AppParser::upgrade), the old one is finished and the new one
  // gets the bytes the old one left, from the start of the new protocol.
  void feed(Flow& f, FlowApp& s, ParseCtx& c, Dir d, Bytes b) {
    s.parser->data(c, d, b);
    AppUpgrade* u = s.parser->upgrade();
    if (u == nullptr || u->to == AppProto::kUnknown) return;
    AppProto to = u->to;
    std::string rest[2] = {std::move(u->rest[0]), std::move(u->rest[1])};
    s.parser->finish(c);
    s.parser.reset();
    if (to == AppProto::kTls) s.parser = make_tls_parser();
    if (to == AppProto::kHttp2) {
      s.parser = make_http2_parser(true);
      ++ctr.flow_http2;
    }
    if (!s.parser) {  // nothing parses that protocol: the flow costs nothing more
      s.finished = true;
      return;
    }
    if (f.app_proto_orig == AppProto::kUnknown) f.app_proto_orig = f.app_proto;
    f.app_proto = to;
    f.app_proto_ts = f.app_proto_tc = to;
    for (Dir x : {Dir::kToServer, Dir::kToClient}) {
      if (!rest[di(x)].empty()) feed(f, s, c, x, as_bytes(rest[di(x)]));
    }
  }

  void fail(Flow& f, FlowApp& s) {
    f.app_proto = AppProto::kFailed;
    f.proto_done_pending[0] = f.proto_done_pending[1] = true;  // detection ended both ways
    s.finished = true;
    s.pending[0] = std::string();
    s.pending[1] = std::string();
    ++ctr.flow_failed;
  }

  void stream_data(Flow& f, Dir d, Bytes data, const Packet& p) {
    FlowApp& s = state(f);
    if (s.finished || data.empty()) return;
    auto c = ctx(f, &p);
    if (!s.expect_checked) {
      s.expect_checked = true;
      // A data connection an FTP control connection announced: no detection.
      if (!s.parser && ftp_expect.size() > 0) {
        if (auto e = ftp_expect.take(f, p.ts.sec, ctr)) {
          f.app_proto = AppProto::kFtpData;
          set_dir_proto(f, Dir::kToServer, AppProto::kFtpData);
          set_dir_proto(f, Dir::kToClient, AppProto::kFtpData);
          s.dir_checked[0] = s.dir_checked[1] = true;
          s.parser = make_ftp_data_parser(std::move(*e));
          ++ctr.flow_ftp_data;
          for (Dir o : {Dir::kToServer, Dir::kToClient}) {
            std::string older = std::move(s.pending[di(o)]);
            s.pending[di(o)] = std::string();
            if (!older.empty()) s.parser->data(c, o, as_bytes(older));
          }
        }
      }
    }
    if (s.parser) {
      if (!s.dir_checked[di(d)]) {
        s.dir_checked[di(d)] = true;
        auto r = detect_tcp(data, d, f.client_port, f.server_port);
        if (r.proto == f.app_proto) set_dir_proto(f, d, r.proto);
      }
      feed(f, s, c, d, data);
      return;
    }
    if (s.dir_failed[di(d)]) {
      // Keep the bytes: the other direction may still identify the protocol.
      keep_pending(s, d, data);
      return;
    }
    std::string& pend = s.pending[di(d)];
    Bytes view = data;
    if (!pend.empty()) {
      keep_pending(s, d, data);
      view = as_bytes(pend);
    }
    auto r = detect_tcp(view, d, f.client_port, f.server_port);
    if (r.proto != AppProto::kUnknown) {
      set_dir_proto(f, d, r.proto);
      s.dir_checked[di(d)] = true;
      start(f, s, r.proto, true);
      // The other direction's kept bytes arrived earlier: feed them first.
      std::string older = std::move(s.pending[di(other(d))]);
      if (!older.empty()) feed(f, s, c, other(d), as_bytes(older));
      if (s.finished) return;
      if (pend.empty()) {
        feed(f, s, c, d, data);
      } else {
        std::string mine = std::move(pend);
        feed(f, s, c, d, as_bytes(mine));
      }
      s.pending[0] = std::string();
      s.pending[1] = std::string();
      return;
    }
    if (r.need_more && view.size() < kPendingCap) {
      if (pend.empty()) keep_pending(s, d, data);
      return;
    }
    if (pend.empty()) keep_pending(s, d, data);
    s.dir_failed[di(d)] = true;
    if (s.dir_failed[0] && s.dir_failed[1]) fail(f, s);
  }

  void keep_pending(FlowApp& s, Dir d, Bytes data) {
    std::string& pend = s.pending[di(d)];
    size_t room = kPendingCap > pend.size() ? kPendingCap - pend.size() : 0;
    if (data.size() > room) ++ctr.detect_pending_cut;
    pend.append(reinterpret_cast<const char*>(data.data()), std::min(room, data.size()));
  }

  void stream_gap(Flow& f, Dir d, uint64_t len, const Packet& p) {
    FlowApp& s = state(f);
    if (s.finished) return;
    if (s.parser) {
      auto c = ctx(f, &p);
      s.parser->gap(c, d, len);
      return;
    }
    // Detection needs the start of the stream; after a gap it is guesswork.
    s.dir_failed[di(d)] = true;
    if (s.dir_failed[0] && s.dir_failed[1]) fail(f, s);
  }

  void stream_end(Flow& f, Dir d, const Packet* p) {
    FlowApp& s = state(f);
    if (s.finished) return;
    if (s.parser) {
      auto c = ctx(f, p);
      s.parser->end(c, d);
      return;
    }
    s.dir_failed[di(d)] = true;
    if (s.dir_failed[0] && s.dir_failed[1]) fail(f, s);
  }

  void udp(Flow& f, const Packet& p) {
    FlowApp& s = state(f);
    if (s.finished) return;
    Dir d = p.to_server ? Dir::kToServer : Dir::kToClient;
    auto c = ctx(f, &p);
    if (!s.parser) {
      auto r = detect_udp(p.payload, d, f.client_port, f.server_port);
      if (r.proto == AppProto::kUnknown) {
        s.dir_failed[di(d)] = true;
        if ((s.dir_failed[0] && s.dir_failed[1]) || ++s.udp_tries >= kUdpDetectTries) fail(f, s);
        return;
      }
      set_dir_proto(f, d, r.proto);
      s.dir_checked[di(d)] = true;
      start(f, s, r.proto, false);
    } else if (!s.dir_checked[di(d)]) {
      s.dir_checked[di(d)] = true;
      if (detect_udp(p.payload, d, f.client_port, f.server_port).proto == f.app_proto)
        set_dir_proto(f, d, f.app_proto);
    }
    s.parser->data(c, d, p.payload);
  }

  void flow_end(Flow& f) {
    if (!f.app) return;
    FlowApp& s = static_cast<FlowApp&>(*f.app);
    if (s.parser && !s.finished) {
      auto c = ctx(f, nullptr);
      s.parser->finish(c);
    }
    s.finished = true;
    f.app.reset();
  }
};

AppLayer::AppLayer(const AppConfig& cfg, AppEvents& events) : impl_(std::make_unique<Impl>(cfg, events)) {}
AppLayer::~AppLayer() = default;

void AppLayer::on_stream_data(Flow& f, Dir d, Bytes data, const Packet& trigger) {
  impl_->stream_data(f, d, data, trigger);
}
void AppLayer::on_stream_gap(Flow& f, Dir d, uint64_t len, const Packet& trigger) {
  impl_->stream_gap(f, d, len, trigger);
}
void AppLayer::on_stream_end(Flow& f, Dir d, const Packet* trigger) {
  impl_->stream_end(f, d, trigger);
}
void AppLayer::on_udp(Flow& f, const Packet& p) {
  impl_->udp(f, p);
}
void AppLayer::on_flow_end(Flow& f) {
  impl_->flow_end(f);
}

void AppLayer::visit_counters(const CounterVisitor& f) const {
  impl_->ctr.visit([&](std::string_view n, uint64_t v) { f(n, v); });
  if (impl_->files) impl_->files->ctr().visit([&](std::string_view n, uint64_t v) { f(n, v); });
}

}  // namespace vigil
