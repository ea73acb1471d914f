#include "collector/forward/output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace vigil::collector::forward;

namespace {

// Fails while `down`, records what it was given otherwise; `gate` holds a send.
struct FakeSender : Sender {
  std::atomic<bool> down{false};
  std::atomic<bool> gate{false};
  std::mutex mu;
  std::vector<std::string> got;
  bool send(const Alert& a, std::string* error) override {
    while (gate) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (down) return *error = "down", false;
    std::lock_guard lk(mu);
    got.push_back(a.text);
    return true;
  }
  size_t count() {
    std::lock_guard lk(mu);
    return got.size();
  }
};

std::shared_ptr<const Alert> alert(int n, int severity = 2) {
  auto a = std::make_shared<Alert>();
  a->doc = {{"n", n}};
  a->text = a->doc.dump();
  a->severity = severity;
  return a;
}

template <class P>
bool wait_for(P p, int ms = 5000) {
  for (int i = 0; i < ms; ++i) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return p();
}

std::string temp_dir() {
  char t[] = "/tmp/vigil-forward-test.XXXXXX";
  REQUIRE(mkdtemp(t));
  return t;
}

std::vector<std::string> lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("forward output: bounded queue drops the oldest into the dead-letter file") {
  std::string dir = temp_dir();
  OutputConfig c;
  c.name = "t";
  c.queue_max = 3;
  auto s = std::make_unique<FakeSender>();
  FakeSender* fake = s.get();
  fake->gate = true;  // the sender thread holds the first alert
  Output o(c, std::move(s), dir + "/t.deadletter.jsonl");
  o.start();
  o.offer(alert(0), 0);
  REQUIRE(wait_for([&] { return o.counters().queue_depth == 0; }));  // 0 taken by the sender
  for (int i = 1; i <= 5; ++i) o.offer(alert(i), 0);
  CHECK(o.counters().queued == 6);
  CHECK(o.counters().dropped_overflow == 2);
  CHECK(o.counters().queue_depth == 3);
  fake->gate = false;
  REQUIRE(wait_for([&] { return fake->count() == 4; }));
  o.stop();
  CHECK(fake->got == std::vector<std::string>{"{\"n\":0}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}"});
  auto dl = lines(dir + "/t.deadletter.jsonl");
  REQUIRE(dl.size() == 2);
  CHECK(nlohmann::json::parse(dl[0])["alert"]["n"] == 1);
  CHECK(nlohmann::json::parse(dl[1])["reason"] == "overflow");
  struct stat st {};
  REQUIRE(stat((dir + "/t.deadletter.jsonl").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(o.counters().dead_lettered == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "forward output: retries with backoff while down, delivers when back, dead-letters past max_retries") {
  std::string dir = temp_dir();
  OutputConfig c;
  c.name = "r";
  c.backoff_min_ms = 10;
  c.backoff_max_ms = 40;
  c.max_retries = 1000;
  auto s = std::make_unique<FakeSender>();
  FakeSender* fake = s.get();
  fake->down = true;
  Output o(c, std::move(s), dir + "/r.jsonl");
  o.start();
  auto t0 = std::chrono::steady_clock::now();
  o.offer(alert(1), 0);
  REQUIRE(wait_for([&] { return o.counters().retried >= 5; }));
  // 10 + 20 + 40 + 40 + 40 ms at least: doubled, then capped.
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(150));
  CHECK(o.counters().send_errors >= 5);
  fake->down = false;
  REQUIRE(wait_for([&] { return o.counters().sent == 1; }));
  o.stop();

  OutputConfig c2 = c;
  c2.max_retries = 2;
  auto s2 = std::make_unique<FakeSender>();
  s2->down = true;
  Output o2(c2, std::move(s2), dir + "/r2.jsonl");
  o2.start();
  o2.offer(alert(7), 0);
  REQUIRE(wait_for([&] { return o2.counters().dead_lettered == 1; }));
  CHECK(o2.counters().send_errors == 3);  // the first try and 2 retries
  CHECK(o2.counters().retried == 2);
  o2.stop();
  auto dl = lines(dir + "/r2.jsonl");
  REQUIRE(dl.size() == 1);
  CHECK(nlohmann::json::parse(dl[0])["reason"] == "retries");
  std::filesystem::remove_all(dir);
}

TEST_CASE("forward output: min_severity, rate limit and the dead-letter cap are counted") {
  std::string dir = temp_dir();
  OutputConfig c;
  c.name = "f";
  c.min_severity = 2;
  c.rate_limit_per_min = 2;
  c.queue_max = 1;
  c.dead_letter_max_bytes = 1;  // nothing fits
  auto s = std::make_unique<FakeSender>();
  s->gate = true;
  FakeSender* fake = s.get();
  Output o(c, std::move(s), dir + "/f.jsonl");
  o.offer(alert(1, 3), 60);  // severity 3 > 2
  o.offer(alert(2), 60);
  o.offer(alert(3), 61);   // overflow: 2 pushed out, the file is full
  o.offer(alert(4), 62);   // third in this minute
  o.offer(alert(5), 120);  // next minute: overflow again
  CHECK(o.counters().below_min_severity == 1);
  CHECK(o.counters().rate_limited == 1);
  CHECK(o.counters().dropped_overflow == 2);
  CHECK(o.counters().dead_letter_lost == 2);
  CHECK(o.counters().dead_lettered == 0);
  fake->gate = false;
  std::filesystem::remove_all(dir);
}
