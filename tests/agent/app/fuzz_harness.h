// Shared by the app-layer fuzz targets (tests/fuzz/app_*_fuzz.cpp, fuzz_app_*):
// turns one fuzz input into a sequence of stream chunks in both directions,
// feeds them to one parser and touches everything a transaction exposes
// (every buffer byte, integers, the EVE object serialized), so overreads,
// leaks and JSON-encoding failures show up as crashes.
//
// Input format: records of [ctl][payload]; ctl bit 7 = direction (1: to
// client), bit 6 = a gap of ctl&63 bytes instead of payload, else the next
// ctl&63 + 1 bytes are one chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>

#include "agent/app/parsers.h"

namespace vigil::fuzz {

class Sink : public AppEvents {
 public:
  void on_tx_update(const Packet&, Flow&, Dir d, const Transaction& tx) override { touch(tx, d); }
  void on_tx_done(const Packet*, Flow&, const Transaction& tx) override {
    touch(tx, Dir::kToServer);
    touch(tx, Dir::kToClient);
    nlohmann::ordered_json j;
    tx.to_eve(j);
    sum += j.dump().size();
    for (size_t i = 0; i < tx.file_count(); ++i) {
      nlohmann::ordered_json f;
      Dir d = Dir::kToServer;
      tx.file_to_eve(f, i, &d);
      sum += f.dump().size();
    }
  }
  void touch(const Transaction& tx, Dir d) {
    for (size_t b = 0; b < kBufferCount; ++b) {
      auto id = static_cast<BufferId>(b);
      for (size_t i = 0; i < tx.buffer_count(id, d); ++i) {
        for (uint8_t c : tx.buffer(id, d, i)) sum += c;
      }
    }
    for (size_t f = 0; f < static_cast<size_t>(TxInt::kCount); ++f) {
      int64_t v = 0;
      if (tx.integer(static_cast<TxInt>(f), d, &v)) sum += static_cast<uint64_t>(v);
    }
    (void)tx.progress(d);
  }
  uint64_t sum = 0;
};

inline void run(std::unique_ptr<AppParser> parser, const uint8_t* data, size_t size, bool datagrams) {
  AppConfig cfg;
  cfg.http_decompress_limit = 256 * 1024;
  cfg.max_tx_per_flow = 32;
  Sink sink;
  AppCounters ctr;
  // Files tracked (hashes, no libmagic, no store): the file path is fuzzed too.
  FileConfig fcfg;
  fcfg.enabled = true;
  FileContext files(fcfg);
  Flow flow;
  Packet pkt;
  pkt.flow = &flow;
  ParseCtx c{cfg, sink, ctr, flow, &pkt, &files, nullptr};
  size_t o = 0;
  while (o < size) {
    uint8_t ctl = data[o++];
    Dir d = (ctl & 0x80) ? Dir::kToClient : Dir::kToServer;
    if ((ctl & 0x40) && !datagrams) {
      parser->gap(c, d, ctl & 63);
      continue;
    }
    size_t n = std::min<size_t>((ctl & 63) + 1 + ((ctl & 0x40) ? 64 : 0), size - o);
    parser->data(c, d, Bytes(data + o, n));
    o += n;
  }
  parser->end(c, Dir::kToServer);
  parser->end(c, Dir::kToClient);
  ParseCtx end{cfg, sink, ctr, flow, nullptr, &files, nullptr};
  parser->finish(end);
}

}  // namespace vigil::fuzz
