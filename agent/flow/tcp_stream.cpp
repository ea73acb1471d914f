#include "agent/flow/tcp_stream.h"

#include <algorithm>
#include <cstring>

namespace vigil {

void TcpStream::init(uint32_t base_seq) {
  init_ = true;
  next_seq_ = base_seq;
  next_off_ = 0;
}

uint64_t TcpStream::pending_bytes() const {
  uint64_t n = 0;
  for (const Segment* s = pending_; s != nullptr; s = s->next) n += s->len;
  return n;
}

void TcpStream::add_data(TcpContext& c, Flow& f, Dir d, uint32_t seq, Bytes data, const Packet& trigger) {
  if (!init_ || ended_ || depth_reached_ || data.empty()) return;
  const int64_t off = offset_of(seq);
  const int64_t end = off + int64_t(data.size());
  if (end <= 0) {
    // Entirely before the first byte we track: old data resent.
    c.ctr.tcp_retransmissions++;
    return;
  }
  if (off > int64_t(next_off_ + kMaxWindow)) {
    c.ctr.tcp_seq_out_of_window++;
    return;
  }
  const uint8_t* p = data.data();
  uint64_t a = uint64_t(off), b = uint64_t(end);
  if (off < 0) {
    p += -off;
    a = 0;
  }
  const uint64_t depth = c.cfg.reassembly_depth;
  if (depth != 0 && b > depth) b = depth;

  if (a < next_off_) {
    // Bytes already delivered: the first copy won; compare what we still hold.
    const uint64_t e = std::min(b, next_off_);
    const bool differs = compare_retained(a, p, e - a);
    if (differs) c.ctr.tcp_overlap_diff_data++;
    if (b <= next_off_) {
      c.ctr.tcp_retransmissions++;
      if (differs) c.ctr.tcp_overlap++;
      return;
    }
    c.ctr.tcp_overlap++;
    p += e - a;
    a = e;
  }
  if (a >= b) return;

  if (a == next_off_) {
    // In order: hand the packet's bytes over directly, keep a copy for
    // comparing retransmissions, and buffer only what overlaps held data.
    const uint64_t direct = pending_ != nullptr ? std::min(b, pending_->off) : b;
    if (direct > a) {
      deliver(c, f, d, p, direct - a, trigger);
      if (depth_reached_) return maybe_end(c, f, d, &trigger);
      retain(c, a, p, direct - a);
      p += direct - a;
      a = direct;
    }
  } else {
    c.ctr.tcp_ooo_segments++;
  }
  if (a < b) {
    bool overlapped = false, differs = false;
    if (!insert_pending(c, a, p, b - a, &overlapped, &differs)) c.ctr.tcp_segment_memcap_drop++;
    if (overlapped) c.ctr.tcp_overlap++;
    if (differs) c.ctr.tcp_overlap_diff_data++;
  }
  deliver_pending(c, f, d, trigger);
  maybe_end(c, f, d, &trigger);
}

void TcpStream::on_peer_ack(TcpContext& c, Flow& f, Dir d, uint32_t ack, const Packet& trigger) {
  if (!init_ || ended_) return;
  const int64_t ack_off = offset_of(ack);
  if (ack_off <= 0) return;
  prune_retained(c.pool, uint64_t(ack_off));
  uint64_t upto = uint64_t(ack_off);
  if (fin_ && upto > fin_off_) upto = fin_off_;  // the FIN's own sequence number is no data
  if (upto > next_off_ && upto - next_off_ <= kMaxWindow && !depth_reached_) {
    // The receiver has these bytes; we never saw them: lost before the sensor.
    fill_to(c, f, d, upto, trigger);
  }
  maybe_end(c, f, d, &trigger);
}

void TcpStream::on_fin(TcpContext& c, Flow& f, Dir d, uint32_t fin_seq, const Packet& trigger) {
  if (!init_ || fin_ || ended_) return;
  const int64_t off = offset_of(fin_seq);
  if (off < int64_t(next_off_)) {
    // A FIN for bytes already delivered: the stream is complete here.
    fin_off_ = next_off_;
  } else if (uint64_t(off) - next_off_ > kMaxWindow) {
    c.ctr.tcp_seq_out_of_window++;
    return;
  } else {
    fin_off_ = uint64_t(off);
  }
  fin_ = true;
  fin_seq_ = fin_seq;
  maybe_end(c, f, d, &trigger);
}

void TcpStream::finish(TcpContext& c, Flow& f, Dir d, const Packet& trigger, const Packet* end_trigger) {
  if (ended_) return;
  if (init_ && !depth_reached_) {
    uint64_t last = 0;
    for (const Segment* s = pending_; s != nullptr; s = s->next) last = s->end();
    if (fin_) last = std::max(last, fin_off_);
    if (last > next_off_) fill_to(c, f, d, last, trigger);
  }
  c.pool.free_list(pending_);
  pending_ = nullptr;
  ended_ = true;
  c.sink.on_stream_end(f, d, end_trigger);
}

void TcpStream::release(SegmentPool& pool) {
  pool.free_list(pending_);
  pool.free_list(retained_);
  *this = TcpStream();
}

// Delivers up to the depth; reaching it ends delivery for good.
void TcpStream::deliver(TcpContext& c, Flow& f, Dir d, const uint8_t* data, uint64_t len,
                        const Packet& trigger) {
  const uint64_t depth = c.cfg.reassembly_depth;
  if (depth != 0 && next_off_ + len > depth) len = depth - next_off_;
  if (len > 0) c.sink.on_stream_data(f, d, Bytes(data, len), next_off_, trigger);
  next_off_ += len;
  next_seq_ += uint32_t(len);
  if (depth != 0 && next_off_ >= depth) reached_depth(c, f, d);
}

void TcpStream::reached_depth(TcpContext& c, Flow& f, Dir d) {
  if (depth_reached_) return;
  depth_reached_ = true;
  c.ctr.tcp_reassembly_depth_reached++;
  c.pool.free_list(pending_);
  pending_ = nullptr;
  c.sink.on_stream_depth(f, d);
}

void TcpStream::gap(TcpContext& c, Flow& f, Dir d, uint64_t len, const Packet& trigger) {
  const uint64_t depth = c.cfg.reassembly_depth;
  if (depth != 0 && next_off_ + len > depth) len = depth - next_off_;
  if (len == 0) return;
  c.ctr.tcp_reassembly_gap++;
  c.sink.on_stream_gap(f, d, len, trigger);
  next_off_ += len;
  next_seq_ += uint32_t(len);
  if (depth != 0 && next_off_ >= depth) reached_depth(c, f, d);
}

// Advances delivery to `off`: buffered bytes where we have them, gaps between.
void TcpStream::fill_to(TcpContext& c, Flow& f, Dir d, uint64_t off, const Packet& trigger) {
  while (next_off_ < off && !depth_reached_) {
    if (pending_ != nullptr && pending_->off == next_off_) {
      deliver_pending(c, f, d, trigger);
      continue;
    }
    const uint64_t hole_end = pending_ != nullptr ? std::min(pending_->off, off) : off;
    gap(c, f, d, hole_end - next_off_, trigger);
  }
  deliver_pending(c, f, d, trigger);
}

void TcpStream::deliver_pending(TcpContext& c, Flow& f, Dir d, const Packet& trigger) {
  while (pending_ != nullptr && pending_->off == next_off_ && !depth_reached_) {
    Segment* s = pending_;
    pending_ = s->next;
    s->next = nullptr;
    deliver(c, f, d, s->data, s->len, trigger);
    if (depth_reached_) {
      c.pool.free(s);
      return;
    }
    retain_chunk(c.pool, s);
  }
}

void TcpStream::maybe_end(TcpContext& c, Flow& f, Dir d, const Packet* trigger) {
  if (ended_ || !fin_) return;
  if (next_off_ >= fin_off_ || depth_reached_) {
    c.pool.free_list(pending_);
    pending_ = nullptr;
    ended_ = true;
    c.sink.on_stream_end(f, d, trigger);
  }
}

bool TcpStream::compare_retained(uint64_t off, const uint8_t* data, uint64_t len) const {
  const uint64_t end = off + len;
  for (const Segment* s = retained_; s != nullptr && s->off < end; s = s->next) {
    const uint64_t a = std::max(off, s->off), b = std::min(end, s->end());
    if (a < b && std::memcmp(s->data + (a - s->off), data + (a - off), b - a) != 0) return true;
  }
  return false;
}

// Stores [off, off+len) around the chunks already held; where they overlap
// the held bytes stay. Returns false when the pool ran out.
bool TcpStream::insert_pending(TcpContext& c, uint64_t off, const uint8_t* data, uint64_t len,
                               bool* overlapped, bool* differs) {
  Segment** link = &pending_;
  uint64_t cur = off;
  const uint64_t end = off + len;
  while (cur < end) {
    Segment* s = *link;
    if (s != nullptr && s->end() <= cur) {
      link = &s->next;
      continue;
    }
    if (s != nullptr && s->off <= cur) {
      const uint64_t e = std::min(end, s->end());
      *overlapped = true;
      if (std::memcmp(s->data + (cur - s->off), data + (cur - off), e - cur) != 0) *differs = true;
      cur = e;
      link = &s->next;
      continue;
    }
    const uint64_t e = s != nullptr ? std::min(end, s->off) : end;
    while (cur < e) {
      Segment* n = c.pool.alloc();
      if (n == nullptr) return false;
      n->off = cur;
      n->len = uint32_t(std::min<uint64_t>(Segment::kCapacity, e - cur));
      std::memcpy(n->data, data + (cur - off), n->len);
      n->next = *link;
      *link = n;
      link = &n->next;
      cur += n->len;
    }
  }
  return true;
}

// Copies delivered bytes for later comparison. Best effort: it never takes
// more than half the pool, so out-of-order buffering is not starved by it.
void TcpStream::retain(TcpContext& c, uint64_t off, const uint8_t* data, uint64_t len) {
  const uint64_t limit = c.pool.memcap() / 2;
  while (len > 0) {
    Segment* s = c.pool.alloc(limit);
    if (s == nullptr) return;
    s->off = off;
    s->len = uint32_t(std::min<uint64_t>(Segment::kCapacity, len));
    std::memcpy(s->data, data, s->len);
    off += s->len;
    data += s->len;
    len -= s->len;
    retain_chunk(c.pool, s);
  }
}

void TcpStream::retain_chunk(SegmentPool& pool, Segment* s) {
  s->next = nullptr;
  if (retained_tail_ != nullptr) {
    retained_tail_->next = s;
  } else {
    retained_ = s;
  }
  retained_tail_ = s;
  retained_bytes_ += s->len;
  while (retained_bytes_ > kRetainMax) {
    Segment* old = retained_;
    retained_ = old->next;
    if (retained_ == nullptr) retained_tail_ = nullptr;
    retained_bytes_ -= old->len;
    pool.free(old);
  }
}

void TcpStream::prune_retained(SegmentPool& pool, uint64_t upto) {
  while (retained_ != nullptr && retained_->end() <= upto) {
    Segment* s = retained_;
    retained_ = s->next;
    retained_bytes_ -= s->len;
    pool.free(s);
  }
  if (retained_ == nullptr) retained_tail_ = nullptr;
}

}  // namespace vigil
