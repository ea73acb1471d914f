// Kafka through librdkafka: one idempotent producer per output
// (enable.idempotence=true), the message key is the agent id so an agent's
// alerts stay in order on one partition. send() waits for the message's
// delivery report: delivered counts sent, a failed report is retried by the
// output like any failed send. message.timeout.ms is the output's timeout_ms,
// so a report always comes before send() gives up waiting.
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "collector/forward/senders.h"

namespace vigil::collector::forward {
namespace {

struct Report {
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// The message's opaque is a heap shared_ptr: the report may come after
// send() stopped waiting, and then it is only freed.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* r = static_cast<std::shared_ptr<Report>*>(m->_private);
  if (!r) return;
  (*r)->err = m->err;
  (*r)->done = true;
  delete r;
}

class KafkaSender : public Sender {
 public:
  explicit KafkaSender(const OutputConfig& cfg) : cfg_(cfg) {}
  ~KafkaSender() override {
    if (rk_) {
      rd_kafka_flush(rk_, 2000);
      rd_kafka_destroy(rk_);
    }
  }

  bool init(std::string* error) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    auto set = [&](const std::string& k, const std::string& v) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK) return true;
      *error = "kafka " + k + ": " + err;
      return false;
    };
    bool ok = set("bootstrap.servers", cfg_.brokers) && set("enable.idempotence", "true") &&
              set("message.timeout.ms", std::to_string(cfg_.timeout_ms)) &&
              set("client.id", "vigil-collector");
    for (const auto& [k, v] : cfg_.kafka_properties) ok = ok && set(k, v);
    if (!ok) {
      rd_kafka_conf_destroy(conf);
      return false;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) {
      rd_kafka_conf_destroy(conf);
      *error = std::string("kafka: ") + err;
      return false;
    }
    return true;
  }

  bool send(const Alert& a, std::string* error) override {
    auto report = std::make_shared<Report>();
    auto* opaque = new std::shared_ptr<Report>(report);
    std::string key = a.doc.value("agent_id", "");
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(cfg_.topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(a.text.data()), a.text.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      delete opaque;
      *error = std::string("kafka produce: ") + rd_kafka_err2str(e);
      return false;
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2 * cfg_.timeout_ms + 5000);
    while (!report->done && std::chrono::steady_clock::now() < until) rd_kafka_poll(rk_, 50);
    if (!report->done) {
      *error = "kafka: no delivery report";
      return false;
    }
    if (report->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = std::string("kafka delivery: ") + rd_kafka_err2str(report->err);
      return false;
    }
    return true;
  }

 private:
  OutputConfig cfg_;
  rd_kafka_t* rk_ = nullptr;
};

}  // namespace

std::unique_ptr<Sender> make_kafka_sender(const OutputConfig& cfg, std::string* error) {
  auto s = std::make_unique<KafkaSender>(cfg);
  if (!s->init(error)) return nullptr;
  return s;
}

}  // namespace vigil::collector::forward
