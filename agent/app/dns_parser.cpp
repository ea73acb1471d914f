// DNS over UDP (one message per datagram) and TCP (2-byte length prefix,
// messages split across or packed into segments). A transaction is a query
// and the response with the same id; a lone query or response is one too.
//
// Bounds: pending queries per flow <= max_tx_per_flow (oldest logged and
// dropped beyond), a TCP message <= 65535 bytes by construction.
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/app/dns_message.h"
#include "agent/app/parsers.h"
#include "agent/app/tx_base.h"

namespace vigil {
namespace {

class DnsTx : public TxBase {
 public:
  using Json = nlohmann::ordered_json;
  explicit DnsTx(uint64_t id) : TxBase(AppProto::kDns, id) {}

  bool has_query = false, has_response = false;
  dns::Message query, response;

  void set_query(dns::Message m) {
    has_query = true;
    query = std::move(m);
    for (const auto& q : query.questions) {
      bufs.add(BufferId::kDnsQuery, Dir::kToServer, q.name);
      bufs.add(BufferId::kDnsQueryName, Dir::kToServer, q.name);
    }
    set_progress(Dir::kToServer, TxProgress::kComplete);
  }
  void set_response(dns::Message m) {
    has_response = true;
    response = std::move(m);
    for (const auto& a : response.answers) bufs.add(BufferId::kDnsAnswerName, Dir::kToClient, a.name);
    // dns.query.name / dns.queries.rrname: the question section of both messages.
    for (const auto& q : response.questions) bufs.add(BufferId::kDnsQueryName, Dir::kToClient, q.name);
    for (const auto& a : response.authorities)
      bufs.add(BufferId::kDnsAuthoritiesRrname, Dir::kToClient, a.name);
    for (const auto& a : response.additionals)
      bufs.add(BufferId::kDnsAdditionalsRrname, Dir::kToClient, a.name);
    // dns.response.rrname: every name of the response, the rdata of the
    // records whose data is a name (NS, CNAME, SOA mname, PTR, MX, SRV) too.
    for (const auto& q : response.questions) bufs.add(BufferId::kDnsResponseRrname, Dir::kToClient, q.name);
    for (const auto* sec : {&response.answers, &response.authorities, &response.additionals}) {
      for (const auto& r : *sec) {
        bufs.add(BufferId::kDnsResponseRrname, Dir::kToClient, r.name);
        if (r.type == 2 || r.type == 5 || r.type == 6 || r.type == 12 || r.type == 15 || r.type == 33)
          bufs.add(BufferId::kDnsResponseRrname, Dir::kToClient, r.rdata);
      }
    }
    // Rules written for the query name also match when only the response is seen.
    if (!has_query) {
      for (const auto& q : response.questions) bufs.add(BufferId::kDnsQuery, Dir::kToClient, q.name);
    }
    set_progress(Dir::kToClient, TxProgress::kComplete);
  }

  bool integer(TxInt f, Dir d, int64_t* out) const override {
    if (f == TxInt::kDnsRcode) {  // the direction's own message only
      bool has = d == Dir::kToServer ? has_query : has_response;
      if (!has) return false;
      *out = (d == Dir::kToServer ? query : response).rcode();
      return true;
    }
    const dns::Message* m =
        d == Dir::kToServer ? (has_query ? &query : nullptr) : (has_response ? &response : nullptr);
    if (m == nullptr) m = has_query ? &query : (has_response ? &response : nullptr);
    if (m == nullptr) return false;
    if (f == TxInt::kDnsOpcode) {
      *out = m->opcode();
      return true;
    }
    if (f == TxInt::kDnsRrtype && !m->questions.empty()) {
      *out = m->questions[0].type;
      return true;
    }
    return false;
  }

  // Suricata 7 (DNS logger version 2): a `query` event per question when
  // the request is seen, an `answer` event when the response is.
  bool logs_per_direction() const override { return true; }
  size_t eve_records(Dir d) const override {
    if (d == Dir::kToServer) return has_query ? query.questions.size() : 0;
    return has_response ? 1 : 0;
  }
  void to_eve_record(Json& out, Dir d, size_t i) const override {
    Json j;
    j["version"] = 2;
    if (d == Dir::kToServer) {
      if (i < query.questions.size()) query_item(j, i);
    } else if (has_response) {
      answer_header(j);
      answer_records(j);
    }
    out["dns"] = std::move(j);
  }

  // In alerts: the questions as `query` items, the response's header as
  // `answer`, and its records beside them, where the schema has a place.
  void to_eve(Json& out) const override {
    Json j;
    j["version"] = 2;
    if (has_query && !query.questions.empty()) {
      auto& arr = j["query"] = Json::array();
      for (size_t i = 0; i < query.questions.size(); ++i) {
        Json q;
        query_item(q, i);
        arr.push_back(std::move(q));
      }
    }
    if (has_response) {
      Json a;
      a["version"] = 2;
      answer_header(a);
      j["answer"] = std::move(a);
      answer_records(j);
    }
    out["dns"] = std::move(j);
  }

 private:
  void query_item(Json& j, size_t i) const {
    j["type"] = "query";
    j["id"] = query.id;
    j["rrname"] = eve_string(query.questions[i].name);
    j["rrtype"] = dns::rrtype_string(query.questions[i].type);
    j["tx_id"] = tx_id();
    j["opcode"] = query.opcode();
  }

  void answer_header(Json& j) const {
    const auto& r = response;
    char flags[8];
    std::snprintf(flags, sizeof flags, "%04x", r.flags);
    j["type"] = "answer";
    j["id"] = r.id;
    j["flags"] = flags;
    j["qr"] = true;
    if (r.flags & 0x0100) j["rd"] = true;
    if (r.flags & 0x0080) j["ra"] = true;
    j["opcode"] = r.opcode();
    const auto& qs = !r.questions.empty() ? r.questions : query.questions;
    if (!qs.empty()) {
      j["rrname"] = eve_string(qs[0].name);
      j["rrtype"] = dns::rrtype_string(qs[0].type);
    }
    j["rcode"] = dns::rcode_name(r.rcode());
  }

  static Json srv_object(const dns::Record& a) {
    return {{"priority", a.prio}, {"weight", a.weight}, {"port", a.port}, {"name", eve_string(a.rdata)}};
  }

  // `aa`, `answers` (detailed), `grouped` and `authorities`: at the top of
  // the dns object, where the schema has a place for them in alerts too.
  // `tc` has none in Suricata 7's schema; `flags` carries it.
  void answer_records(Json& j) const {
    const auto& r = response;
    if (r.flags & 0x0400) j["aa"] = true;
    if (!r.answers.empty()) {
      auto& arr = j["answers"] = Json::array();
      Json grouped = Json::object();
      for (const auto& a : r.answers) {
        Json e;
        e["rrname"] = eve_string(a.name);
        e["rrtype"] = dns::rrtype_string(a.type);
        e["ttl"] = a.ttl;
        if (a.type == 33) {
          e["srv"] = srv_object(a);
          grouped["SRV"].push_back(srv_object(a));
        } else {
          e["rdata"] = eve_string(a.rdata);
          // Suricata 7 groups these types only (its schema knows no others).
          switch (a.type) {
            case 1:   // A
            case 5:   // CNAME
            case 10:  // NULL
            case 12:  // PTR
            case 15:  // MX
            case 16:  // TXT
            case 28:  // AAAA
              grouped[dns::rrtype_string(a.type)].push_back(eve_string(a.rdata));
              break;
            default:
              break;
          }
        }
        arr.push_back(std::move(e));
      }
      if (!grouped.empty()) j["grouped"] = std::move(grouped);
    }
    if (!r.authorities.empty()) {
      auto& arr = j["authorities"] = Json::array();
      for (const auto& a : r.authorities) {
        Json e{{"rrname", eve_string(a.name)}, {"rrtype", dns::rrtype_string(a.type)}, {"ttl", a.ttl}};
        if (a.has_soa) {
          e["soa"] = {{"mname", eve_string(a.rdata)}, {"rname", eve_string(a.soa_rname)},
                      {"serial", a.soa_numbers[0]},   {"refresh", a.soa_numbers[1]},
                      {"retry", a.soa_numbers[2]},    {"expire", a.soa_numbers[3]},
                      {"minimum", a.soa_numbers[4]}};
        } else if (!a.rdata.empty()) {
          e["rdata"] = eve_string(a.rdata);
        }
        arr.push_back(std::move(e));
      }
    }
  }
};

class DnsParser : public AppParser {
 public:
  explicit DnsParser(bool tcp) : tcp_(tcp) {}

  void data(ParseCtx& c, Dir d, Bytes b) override {
    if (!tcp_) {
      message(c, d, b);
      return;
    }
    auto& buf = buf_[static_cast<int>(d)];
    if (broken_[static_cast<int>(d)]) return;
    while (!b.empty()) {
      if (buf.empty() && b.size() >= 2) {
        // Fast path: whole messages straight from the segment, no copy.
        size_t len = (size_t{b[0]} << 8) | b[1];
        if (len < 12) {
          bad_length(c, d);
          return;
        }
        if (b.size() >= 2 + len) {
          message(c, d, b.subspan(2, len));
          b = b.subspan(2 + len);
          continue;
        }
      }
      buf.append(reinterpret_cast<const char*>(b.data()), b.size());
      b = {};
      while (buf.size() >= 2) {
        size_t len = (size_t{static_cast<uint8_t>(buf[0])} << 8) | static_cast<uint8_t>(buf[1]);
        if (len < 12) {
          bad_length(c, d);
          return;
        }
        if (buf.size() < 2 + len) break;
        message(c, d, Bytes(reinterpret_cast<const uint8_t*>(buf.data()) + 2, len));
        buf.erase(0, 2 + len);
      }
    }
  }

  void gap(ParseCtx& c, Dir d, uint64_t) override {
    ++c.ctr.gap_dns;
    // The length framing is lost for the rest of this direction.
    broken_[static_cast<int>(d)] = true;
    buf_[static_cast<int>(d)].clear();
  }

  void end(ParseCtx&, Dir) override {}

  void finish(ParseCtx& c) override {
    while (!txs_.empty()) {
      auto tx = std::move(txs_.front());
      txs_.pop_front();
      c.done(*tx);
    }
  }

 private:
  void bad_length(ParseCtx& c, Dir d) {
    ++c.ctr.dns_bad_tcp_length;
    ++c.ctr.err_dns;
    broken_[static_cast<int>(d)] = true;
    buf_[static_cast<int>(d)].clear();
  }

  void message(ParseCtx& c, Dir d, Bytes b) {
    dns::Message m;
    auto e = dns::parse(b, m);
    if (e != dns::Error::kNone) {
      ++c.ctr.err_dns;
      if (e == dns::Error::kNameLoop)
        ++c.ctr.dns_name_loop;
      else if (e == dns::Error::kNameTooLong)
        ++c.ctr.dns_name_too_long;
      else
        ++c.ctr.dns_malformed;
      if (b.size() < 12) return;  // not even a header: nothing to log
    }
    (void)d;  // the QR bit, not the direction, tells query from response
    if (!m.response()) {
      if (txs_.size() >= c.cfg.max_tx_per_flow) {
        ++c.ctr.dns_tx_cut;
        auto old = std::move(txs_.front());
        txs_.pop_front();
        c.done(*old);
      }
      auto tx = std::make_unique<DnsTx>(next_id_++);
      ++c.ctr.tx_dns;
      tx->set_query(std::move(m));
      c.update(Dir::kToServer, *tx);
      c.log(Dir::kToServer, *tx);
      txs_.push_back(std::move(tx));
      return;
    }
    for (auto it = txs_.begin(); it != txs_.end(); ++it) {
      if ((*it)->query.id == m.id && !(*it)->has_response) {
        auto tx = std::move(*it);
        txs_.erase(it);
        tx->set_response(std::move(m));
        c.update(Dir::kToClient, *tx);
        c.log(Dir::kToClient, *tx);
        c.done(*tx);
        return;
      }
    }
    ++c.ctr.dns_unsolicited_response;
    DnsTx tx(next_id_++);
    ++c.ctr.tx_dns;
    tx.set_response(std::move(m));
    c.update(Dir::kToClient, tx);
    c.log(Dir::kToClient, tx);
    c.done(tx);
  }

  bool tcp_;
  std::string buf_[2];
  bool broken_[2] = {false, false};
  std::deque<std::unique_ptr<DnsTx>> txs_;
  uint64_t next_id_ = 0;
};

}  // namespace

std::unique_ptr<AppParser> make_dns_parser(bool over_tcp) {
  return std::make_unique<DnsParser>(over_tcp);
}

}  // namespace vigil
