// TxBuffers: the named buffers of a transaction, and the version the rules
// engine uses to skip buffers that did not change since its last scan.
#include <catch2/catch.hpp>

#include "agent/app/tx_base.h"

using namespace vigil;

TEST_CASE("tx buffers: set, add and slot keep instances in order") {
  TxBuffers b;
  b.add(BufferId::kDnsQuery, Dir::kToServer, "a.example");
  b.add(BufferId::kDnsQuery, Dir::kToServer, "b.example");
  CHECK(b.count(BufferId::kDnsQuery, Dir::kToServer) == 2);
  CHECK(b.get(BufferId::kDnsQuery, Dir::kToServer, 1) == "b.example");
  CHECK(b.count(BufferId::kDnsQuery, Dir::kToClient) == 0);
  b.set(BufferId::kDnsQuery, Dir::kToServer, "c.example");  // one instance left
  CHECK(b.count(BufferId::kDnsQuery, Dir::kToServer) == 1);
  CHECK(b.get(BufferId::kDnsQuery, Dir::kToServer) == "c.example");
  b.slot(BufferId::kHttpRequestBody, Dir::kToServer).append("abc");
  CHECK(b.get(BufferId::kHttpRequestBody, Dir::kToServer) == "abc");
}

TEST_CASE("tx buffers: the version changes with every change and only then") {
  TxBuffers b;
  const auto uri = BufferId::kHttpUri;
  const auto d = Dir::kToServer;
  b.set(uri, d, "/index");
  uint64_t v = b.version(uri, d);
  b.set(uri, d, "/index");  // the same bytes again
  CHECK(b.version(uri, d) == v);
  b.set(BufferId::kHttpHost, d, "example.org");  // another buffer
  CHECK(b.version(uri, d) == v);
  b.set(uri, d, "/other");  // other bytes, same size
  CHECK(b.version(uri, d) != v);
  v = b.version(uri, d);
  b.add(uri, d, "/more");
  CHECK(b.version(uri, d) != v);
  v = b.version(uri, d);
  b.set(uri, d, "/other");  // the first instance unchanged, the second dropped
  CHECK(b.count(uri, d) == 1);
  CHECK(b.version(uri, d) != v);

  const auto body = BufferId::kHttpRequestBody;
  b.slot(body, d).append("hay");
  v = b.version(body, d);
  std::string& kept = b.slot(body, d);
  CHECK(b.version(body, d) != v);  // a slot handed out may be written
  v = b.version(body, d);
  kept.append("needle");  // through a kept reference: the size tells
  CHECK(b.version(body, d) != v);
}

TEST_CASE("tx buffers: instances interleaved with other buffers are found, counted and collapsed") {
  TxBuffers b;
  const auto q = BufferId::kDnsQuery;
  const auto d = Dir::kToServer;
  b.add(q, d, "one");
  b.set(BufferId::kHttpUri, d, "/x");
  b.add(q, d, "two");
  b.add(q, Dir::kToClient, "other direction");
  b.add(q, d, "three");
  CHECK(b.count(q, d) == 3);
  CHECK(b.get(q, d, 0) == "one");
  CHECK(b.get(q, d, 2) == "three");
  CHECK(b.get(q, d, 3).empty());
  CHECK(b.count(q, Dir::kToClient) == 1);
  b.set(q, d, "one");  // the first kept (same bytes), the other two dropped
  CHECK(b.count(q, d) == 1);
  CHECK(b.get(q, d) == "one");
  CHECK(b.get(q, Dir::kToClient) == "other direction");
  CHECK(b.get(BufferId::kHttpUri, d) == "/x");
  b.add(q, d, "again");
  CHECK(b.count(q, d) == 2);
  CHECK(b.get(q, d, 1) == "again");
}
