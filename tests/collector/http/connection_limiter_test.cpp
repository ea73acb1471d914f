// Connection admission: totals and per-address counts, given back when the
// slot goes.
#include "collector/http/connection_limiter.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace vigil::collector;
using V = ConnectionLimiter::Verdict;

TEST_CASE("per-address limit refuses the next connection from that address only") {
  auto l = std::make_shared<ConnectionLimiter>(100, 3);
  std::vector<ConnectionLimiter::Slot> held(3);
  for (auto& s : held) REQUIRE(l->try_acquire("10.0.0.1", &s) == V::kOk);
  ConnectionLimiter::Slot extra;
  CHECK(l->try_acquire("10.0.0.1", &extra) == V::kPerAddressLimit);
  CHECK_FALSE(extra.held());
  CHECK(l->try_acquire("10.0.0.2", &extra) == V::kOk);
  CHECK(l->open() == 4);
  CHECK(l->open_from("10.0.0.1") == 3);
  held.pop_back();  // one closes: room again
  ConnectionLimiter::Slot again;
  CHECK(l->try_acquire("10.0.0.1", &again) == V::kOk);
}

TEST_CASE("total limit refuses every address - slots give their place back") {
  auto l = std::make_shared<ConnectionLimiter>(2, 10);
  {
    ConnectionLimiter::Slot a, b, c;
    REQUIRE(l->try_acquire("a", &a) == V::kOk);
    REQUIRE(l->try_acquire("b", &b) == V::kOk);
    CHECK(l->try_acquire("c", &c) == V::kTotalLimit);
    CHECK(l->addresses() == 2);
    ConnectionLimiter::Slot moved = std::move(a);  // moving keeps one place, not two
    CHECK(l->open() == 2);
  }
  CHECK(l->open() == 0);
  CHECK(l->addresses() == 0);
}

TEST_CASE("the limiter outlives the server when slots are still held") {
  ConnectionLimiter::Slot s;
  {
    auto l = std::make_shared<ConnectionLimiter>(0, 0);  // 0: no limit
    for (int i = 0; i < 1000; ++i) {
      ConnectionLimiter::Slot t;
      REQUIRE(l->try_acquire("x", &t) == V::kOk);
    }
    REQUIRE(l->try_acquire("x", &s) == V::kOk);
  }
  CHECK(s.held());  // released safely when s goes
}
