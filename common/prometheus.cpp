#include "common/prometheus.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace vigil::prometheus {

std::string metric_name(std::string_view prefix, std::string_view dotted, Type type) {
  std::string n(prefix);
  if (!n.empty() && !dotted.empty()) n += '_';
  for (char c : dotted) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    n += ok ? c : '_';
  }
  if (!n.empty() && n[0] >= '0' && n[0] <= '9') n.insert(n.begin(), '_');
  constexpr std::string_view kTotal = "_total";
  if (type == Type::kCounter && !(n.size() >= kTotal.size() && n.ends_with(kTotal))) n += kTotal;
  return n;
}

std::string escape_label_value(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '"')
      o += "\\\"";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return o;
}

std::string escape_help(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return o;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) {
    char b[32];
    std::snprintf(b, sizeof b, "%.0f", v);
    return b;
  }
  char b[64];
  auto r = std::to_chars(b, b + sizeof b, v);  // the shortest text that reads back as v
  return std::string(b, r.ptr);
}

namespace {
const char* type_name(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}
}  // namespace

void Writer::family(std::string_view name, std::string_view help, Type type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void Writer::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += escape_label_value(labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void Writer::counter(std::string_view name, std::string_view help, uint64_t value) {
  family(name, help, Type::kCounter);
  sample(name, static_cast<double>(value));
}

void Writer::gauge(std::string_view name, std::string_view help, double value) {
  family(name, help, Type::kGauge);
  sample(name, value);
}

const std::vector<double>& default_seconds_buckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  return n;
}

void Histogram::write(Writer& w, std::string_view name, const Labels& labels) const {
  std::string bucket = std::string(name) + "_bucket";
  Labels l = labels;
  l.emplace_back("le", "");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    l.back().second = i < bounds_.size() ? format_value(bounds_[i]) : "+Inf";
    w.sample(bucket, l, static_cast<double>(cumulative));
  }
  w.sample(std::string(name) + "_sum", labels, sum_.load(std::memory_order_relaxed));
  w.sample(std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

}  // namespace vigil::prometheus
