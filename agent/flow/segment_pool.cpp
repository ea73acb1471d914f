#include "agent/flow/segment_pool.h"

#include <new>

namespace vigil {

SegmentPool::~SegmentPool() {
  while (free_ != nullptr) {
    Segment* n = free_->next;
    delete free_;
    free_ = n;
  }
}

Segment* SegmentPool::alloc(uint64_t limit) {
  if (limit > memcap_) limit = memcap_;
  if (in_use_ + sizeof(Segment) > limit) return nullptr;
  Segment* s = free_;
  if (s != nullptr) {
    free_ = s->next;
  } else {
    // Growth phase only: once the working set is reached chunks come back
    // through free() and are reused.
    s = new (std::nothrow) Segment;
    if (s == nullptr) return nullptr;
  }
  s->next = nullptr;
  s->off = 0;
  s->len = 0;
  in_use_ += sizeof(Segment);
  return s;
}

void SegmentPool::free(Segment* s) {
  s->next = free_;
  free_ = s;
  in_use_ -= sizeof(Segment);
}

void SegmentPool::free_list(Segment* head) {
  while (head != nullptr) {
    Segment* n = head->next;
    free(head);
    head = n;
  }
}

}  // namespace vigil
