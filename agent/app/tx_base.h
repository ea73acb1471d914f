// TxBase: the part of every app-layer transaction that is the same for all
// protocols: id, per-direction progress and the named buffers, stored as a
// short list of (buffer, direction, bytes) entries.
//
// Used by the parsers on the worker thread that owns the flow. Views returned
// by buffer() stay valid until the next set/add/append on the same tx.
#pragma once

#include <bitset>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/inspect.h"

namespace vigil {

class TxBuffers {
 public:
  // Replaces every instance of (id, d) with one instance holding v.
  void set(BufferId id, Dir d, std::string_view v);
  // Adds one more instance of (id, d) (multi-buffers: dns.query, tls.certs).
  void add(BufferId id, Dir d, std::string_view v);
  // The first instance of (id, d), created empty if absent (to append bodies).
  std::string& slot(BufferId id, Dir d);
  size_t count(BufferId id, Dir d) const;
  // Instance i of (id, d); empty when absent.
  std::string_view get(BufferId id, Dir d, size_t i = 0) const;
  // Changes with every set/add/slot that may have changed (id, d), and with
  // the instances' sizes (a body appended through a kept slot reference).
  uint64_t version(BufferId id, Dir d) const;

 private:
  struct Entry {
    BufferId id;
    Dir d;
    std::string v;
    uint64_t ver;  // from this thread's counter: unique among its transactions
  };
  static size_t bit(BufferId id, Dir d) { return size_t(di(d)) * kBufferCount + size_t(id); }
  void push(BufferId id, Dir d, std::string v);
  // The index of the first entry of (id, d) from `from` on, or entries_.size().
  size_t find(size_t key, size_t from = 0) const;
  std::vector<Entry> entries_;
  // bit(id, d) of each entry, in order: the lookups scan these two bytes an
  // entry instead of the entries themselves.
  std::vector<uint16_t> keys_;
  // Which (id, d) have an entry (entries are never removed whole), and which
  // had more than one at some time: the engine asks for every buffer its
  // rule groups prefilter, on every update; most are absent from a given
  // transaction, and most present ones have a single instance.
  std::bitset<2 * kBufferCount> present_, multi_;
};

class TrackedFile;
// The file buffers of a tracked file in its direction: file.name, and once
// the file ended, file.magic and the hashes (those it has).
void set_file_buffers(TxBuffers& bufs, const TrackedFile& f);

class TxBase : public Transaction {
 public:
  TxBase(AppProto p, uint64_t id) : proto_(p), id_(id) {}
  AppProto proto() const override { return proto_; }
  uint64_t tx_id() const override { return id_; }
  TxProgress progress(Dir d) const override { return progress_[static_cast<int>(d)]; }
  size_t buffer_count(BufferId id, Dir d) const override { return bufs.count(id, d); }
  std::span<const uint8_t> buffer(BufferId id, Dir d, size_t i = 0) const override {
    auto v = bufs.get(id, d, i);
    return {reinterpret_cast<const uint8_t*>(v.data()), v.size()};
  }
  // The version of `bufs`' (id, d). A subclass that overrides buffer() or
  // buffer_count() must override this too: with the same mapping, or
  // returning false where its buffers live elsewhere (the engine then
  // compares contents). A version that missed a change would skip a rescan
  // and lose alerts.
  bool buffer_version(BufferId id, Dir d, uint64_t* out) const override {
    *out = bufs.version(id, d);
    return true;
  }
  void set_progress(Dir d, TxProgress p) { progress_[static_cast<int>(d)] = p; }

  TxBuffers bufs;

 private:
  AppProto proto_;
  uint64_t id_;
  TxProgress progress_[2] = {TxProgress::kNone, TxProgress::kNone};
};

}  // namespace vigil

namespace vigil {
// Bytes from the wire as a JSON string: valid UTF-8 is kept, every other byte
// becomes "\xNN", so EVE output never fails on hostile input.
std::string eve_string(std::string_view raw);
}  // namespace vigil
