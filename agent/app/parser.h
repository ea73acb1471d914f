// The interface between AppLayer (detection, dispatch) and one protocol
// parser, plus the context a parser call runs in. Internal to agent/app.
//
// Threading: all calls come from the worker that owns the flow. A parser owns
// its transactions; it reports them through ParseCtx and frees a transaction
// only after ParseCtx::done() returned.
#pragma once

#include <cstdint>
#include <string>

#include "agent/app/app_counters.h"
#include "agent/app/app_layer.h"

namespace vigil {

class FtpExpectations;

struct ParseCtx {
  const AppConfig& cfg;
  AppEvents& events;
  AppCounters& ctr;
  Flow& flow;
  const Packet* pkt;                      // null when the flow ends without a packet
  FileContext* files = nullptr;           // null when files are not tracked
  FtpExpectations* ftp_expect = nullptr;  // the worker's FTP data expectations (ftp_data.h); may be null

  // New buffers in direction d: rules run on them (needs a packet).
  void update(Dir d, const Transaction& tx) const {
    if (pkt != nullptr) events.on_tx_update(*pkt, flow, d, tx);
  }
  // Direction d of a transaction that logs per direction is complete: log
  // that direction now (see Transaction::logs_per_direction).
  void log(Dir d, const Transaction& tx) const { events.on_tx_log(pkt, flow, d, tx); }
  // The transaction is finished: log it. The caller frees it afterwards.
  void done(const Transaction& tx) const { events.on_tx_done(pkt, flow, tx); }
};

// A parser's request to hand its flow to another protocol's parser (SMTP
// after a STARTTLS the server accepted → TLS): the protocol, and per
// direction (index Dir) the bytes it received but did not parse.
struct AppUpgrade {
  AppProto to = AppProto::kUnknown;
  std::string rest[2];
};

class AppParser {
 public:
  virtual ~AppParser() = default;
  // In-order bytes of direction d (a whole datagram for UDP parsers).
  virtual void data(ParseCtx& c, Dir d, Bytes b) = 0;
  // len bytes of direction d are missing.
  virtual void gap(ParseCtx& c, Dir d, uint64_t len) = 0;
  // Direction d ended (FIN/RST): complete what the end completes.
  virtual void end(ParseCtx& c, Dir d) = 0;
  // The flow ends: report every open transaction as done.
  virtual void finish(ParseCtx& c) = 0;
  // Asked after each data() call: non-null with `to` set when the flow
  // changes protocol. AppLayer then finishes this parser (finish()) and
  // feeds `rest` to the new one, which sees the stream from there on.
  virtual AppUpgrade* upgrade() { return nullptr; }
};

}  // namespace vigil
