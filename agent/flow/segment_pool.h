// SegmentPool: the per-worker store for TCP bytes kept past their packet
// (out-of-order segments waiting for a hole to fill, and recently delivered
// bytes kept until acknowledged so that retransmissions can be compared).
//
// Owned by a FlowTable, used only by its worker thread (no locks). Memory is
// taken from the heap in fixed-size chunks only while the pool is growing
// towards its cap; freed chunks are recycled through a free list, so the
// steady state allocates nothing. alloc() returns nullptr at the cap and the
// caller counts the refusal.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil {

// One chunk of stream bytes [off, off + len) of one direction. Chunks of a
// stream form a singly linked list sorted by offset, never overlapping.
struct Segment {
  static constexpr size_t kCapacity = 2000;  // fits one Ethernet MSS with room to spare
  Segment* next = nullptr;
  uint64_t off = 0;
  uint32_t len = 0;
  uint8_t data[kCapacity];

  uint64_t end() const { return off + len; }
};

class SegmentPool {
 public:
  explicit SegmentPool(uint64_t memcap_bytes) : memcap_(memcap_bytes) {}
  ~SegmentPool();
  SegmentPool(const SegmentPool&) = delete;
  SegmentPool& operator=(const SegmentPool&) = delete;

  // A chunk, or nullptr when `limit` bytes (at most the memcap) are in use.
  Segment* alloc(uint64_t limit);
  Segment* alloc() { return alloc(memcap_); }
  void free(Segment* s);
  // Frees a whole list.
  void free_list(Segment* head);

  uint64_t memcap() const { return memcap_; }
  uint64_t in_use() const { return in_use_; }  // bytes of chunks handed out

 private:
  uint64_t memcap_;
  uint64_t in_use_ = 0;
  Segment* free_ = nullptr;
};

}  // namespace vigil
