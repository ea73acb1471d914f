// The Kafka output against librdkafka's mock cluster (a real broker protocol
// on 127.0.0.1): each alert is produced once, keyed by the agent id, and
// counted sent from its delivery report; a broker that is down is retried.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "collector/forward/output.h"
#include "collector/forward/senders.h"

using namespace vigil::collector::forward;

TEST_CASE("kafka output: alerts produced to the mock cluster once, keyed by agent id") {
  char err[512];
  rd_kafka_conf_t* mconf = rd_kafka_conf_new();
  rd_kafka_conf_set(mconf, "log_level", "0", err, sizeof err);
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, err, sizeof err);
  REQUIRE(host);
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(host, 1);
  REQUIRE(mc);
  std::string boot = rd_kafka_mock_cluster_bootstraps(mc);
  REQUIRE(rd_kafka_mock_topic_create(mc, "alerts", 1, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);

  auto dir = std::filesystem::temp_directory_path() / ("vigil-kafka-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  OutputConfig c;
  c.name = "k";
  c.type = "kafka";
  c.brokers = boot;
  c.topic = "alerts";
  c.timeout_ms = 3000;
  c.kafka_properties = {{"log_level", "0"}};
  std::string why;
  auto sender = make_sender(c, &why);
  REQUIRE(sender);
  Output o(c, std::move(sender), (dir / "k.jsonl").string());
  o.start();
  for (int i = 0; i < 5; ++i) {
    auto a = std::make_shared<Alert>();
    a->doc = {{"n", i}, {"agent_id", "ag-7"}};
    a->text = a->doc.dump();
    o.offer(a, 0);
  }
  for (int i = 0; i < 200 && o.counters().sent < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(o.counters().sent == 5);
  CHECK(o.counters().send_errors == 0);

  rd_kafka_conf_t* cconf = rd_kafka_conf_new();
  REQUIRE(rd_kafka_conf_set(cconf, "bootstrap.servers", boot.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
  rd_kafka_conf_set(cconf, "group.id", "t", err, sizeof err);
  rd_kafka_conf_set(cconf, "auto.offset.reset", "earliest", err, sizeof err);
  rd_kafka_conf_set(cconf, "log_level", "0", err, sizeof err);
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof err);
  REQUIRE(consumer);
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "alerts", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  REQUIRE(rd_kafka_assign(consumer, topics) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  std::vector<nlohmann::json> got;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < 5 && std::chrono::steady_clock::now() < until) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
    if (!m) continue;
    if (!m->err) {
      CHECK(std::string(static_cast<const char*>(m->key), m->key_len) == "ag-7");
      got.push_back(nlohmann::json::parse(std::string(static_cast<const char*>(m->payload), m->len)));
    }
    rd_kafka_message_destroy(m);
  }
  REQUIRE(got.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(got[i]["n"] == i);

  // The broker down: the send fails from its delivery report and is retried.
  rd_kafka_mock_broker_set_down(mc, 1);
  auto a = std::make_shared<Alert>();
  a->doc = {{"n", 5}, {"agent_id", "ag-7"}};
  a->text = a->doc.dump();
  o.offer(a, 0);
  for (int i = 0; i < 300 && o.counters().retried < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(o.counters().send_errors >= 1);
  rd_kafka_mock_broker_set_up(mc, 1);
  for (int i = 0; i < 300 && o.counters().sent < 6; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(o.counters().sent == 6);
  o.stop(0);
  // The retried alert is on the topic once (the consumer reconnects too;
  // then one more second for a duplicate to show).
  until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto extra = until;
  while (std::chrono::steady_clock::now() < std::min(until, extra)) {
    if (got.size() >= 6 && extra == until) extra = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
    if (!m) continue;
    if (!m->err)
      got.push_back(nlohmann::json::parse(std::string(static_cast<const char*>(m->payload), m->len)));
    rd_kafka_message_destroy(m);
  }
  REQUIRE(got.size() == 6);
  CHECK(got[5]["n"] == 5);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  std::filesystem::remove_all(dir);
}
