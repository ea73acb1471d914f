#include "agent/app/mime.h"

#include <algorithm>

#include "common/encoding.h"

namespace vigil {
namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return o;
}

// Value of a base64 digit, 64 for '=', 65 for whitespace, 66 for anything else.
int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return 64;
  if (is_ws(c)) return 65;
  return 66;
}

std::string b64_decode(std::string_view s) {
  std::string out;
  uint32_t acc = 0;
  int n = 0;
  for (char c : s) {
    int v = b64val(c);
    if (v >= 64) continue;
    acc = (acc << 6) | uint32_t(v);
    if (++n == 4) {
      out.push_back(char(acc >> 16));
      out.push_back(char(acc >> 8));
      out.push_back(char(acc));
      n = 0;
      acc = 0;
    }
  }
  if (n == 2) out.push_back(char(acc >> 4));
  if (n == 3) {
    out.push_back(char(acc >> 10));
    out.push_back(char(acc >> 2));
  }
  return out;
}

// %XX decoded (RFC 2231 values).
std::string pct_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back(char(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// "type/sub; a=b; c=\"d;e\"": the value before the first ';' (lowercased)
// and the parameters (names lowercased, quotes removed).
Params parse_params(std::string_view v, std::string* first) {
  Params out;
  size_t i = 0;
  auto segment = [&]() {
    std::string seg;
    bool q = false;
    for (; i < v.size(); ++i) {
      char c = v[i];
      if (q && c == '\\' && i + 1 < v.size()) {
        seg.push_back(c);
        seg.push_back(v[++i]);
        continue;
      }
      if (c == '"') q = !q;
      if (c == ';' && !q) {
        ++i;
        break;
      }
      seg.push_back(c);
    }
    return seg;
  };
  *first = lower(trim(segment()));
  while (i < v.size() && out.size() < 32) {
    std::string seg = segment();
    size_t eq = seg.find('=');
    if (eq == std::string::npos) continue;
    std::string key = lower(trim(std::string_view(seg).substr(0, eq)));
    std::string_view val = trim(std::string_view(seg).substr(eq + 1));
    std::string unq;
    if (val.size() >= 2 && val.front() == '"' && val.back() == '"') {
      val = val.substr(1, val.size() - 2);
      for (size_t k = 0; k < val.size(); ++k) {
        if (val[k] == '\\' && k + 1 < val.size()) ++k;
        unq.push_back(val[k]);
      }
    } else {
      unq = std::string(val);
    }
    out.emplace_back(std::move(key), std::move(unq));
  }
  return out;
}

const std::string* find_param(const Params& p, std::string_view k) {
  for (const auto& [n, v] : p)
    if (n == k) return &v;
  return nullptr;
}

// charset'language'%XX-text → the bytes.
std::string ext_value(std::string_view v) {
  size_t a = v.find('\'');
  size_t b = a == std::string_view::npos ? a : v.find('\'', a + 1);
  if (b != std::string_view::npos) v = v.substr(b + 1);
  return pct_decode(v);
}

// A parameter's value with RFC 2231 (name*, name*0, name*0*, ...) and RFC
// 2047 (encoded words in a plain value) decoded; empty when absent.
std::string param(const Params& p, const std::string& k) {
  if (const auto* v = find_param(p, k)) return mime_decode_words(*v);
  if (const auto* v = find_param(p, k + "*")) return ext_value(*v);
  std::string out;
  for (int i = 0; i < 32; ++i) {
    std::string base = k + "*" + std::to_string(i);
    if (const auto* v = find_param(p, base)) {
      out += *v;
    } else if (const auto* e = find_param(p, base + "*")) {
      out += i == 0 ? ext_value(*e) : pct_decode(*e);
    } else {
      break;
    }
  }
  return out;
}

const std::string* find_header(const std::vector<std::pair<std::string, std::string>>& h,
                               std::string_view n) {
  for (const auto& [k, v] : h)
    if (k == n) return &v;
  return nullptr;
}

}  // namespace

std::string mime_decode_words(std::string_view s) {
  std::string out;
  size_t i = 0;
  size_t after_word = std::string::npos;  // out's size right after the last encoded word
  while (i < s.size()) {
    if (s.compare(i, 2, "=?") == 0) {
      size_t q1 = s.find('?', i + 2);
      if (q1 != std::string_view::npos && q1 + 2 < s.size() && s[q1 + 2] == '?') {
        char enc = s[q1 + 1];
        size_t e = s.find("?=", q1 + 3);
        if (e != std::string_view::npos && (enc == 'B' || enc == 'b' || enc == 'Q' || enc == 'q')) {
          std::string_view text = s.substr(q1 + 3, e - (q1 + 3));
          // Whitespace between two encoded words is not part of the text.
          if (after_word != std::string::npos) out.resize(after_word);
          if (enc == 'B' || enc == 'b') {
            out += b64_decode(text);
          } else {
            for (size_t k = 0; k < text.size(); ++k) {
              if (text[k] == '_') {
                out.push_back(' ');
              } else if (text[k] == '=' && k + 2 < text.size() && hexval(text[k + 1]) >= 0 &&
                         hexval(text[k + 2]) >= 0) {
                out.push_back(char(hexval(text[k + 1]) * 16 + hexval(text[k + 2])));
                k += 2;
              } else {
                out.push_back(text[k]);
              }
            }
          }
          after_word = out.size();
          i = e + 2;
          continue;
        }
      }
    }
    out.push_back(s[i]);
    if (!is_ws(s[i])) after_word = std::string::npos;
    ++i;
  }
  return out;
}

void MimeParser::line(std::string_view l, AppCounters& ctr) {
  if (status_ == Status::kDone) return;
  ctr_ = &ctr;
  if (status_ == Status::kNone) status_ = Status::kHeaderStarted;
  if (!bounds_.empty() && l.size() >= 2 && l[0] == '-' && l[1] == '-' && boundary(l)) return;
  switch (st_) {
    case St::kHeaders:
      header_line(l);
      break;
    case St::kLeaf:
      leaf_line(l);
      break;
    case St::kSkip:
      break;
  }
}

void MimeParser::header_line(std::string_view l) {
  if (l.empty()) {
    headers_end();
    return;
  }
  auto& hs = cur_.headers;
  if (l[0] == ' ' || l[0] == '\t') {
    if (hs.empty()) {
      ++ctr_->mime_bad_header;
      return;
    }
    std::string& v = hs.back().second;
    if (cur_.header_bytes + l.size() > kMaxHeaderBytes) {
      ++ctr_->mime_header_cut;
      return;
    }
    cur_.header_bytes += l.size();
    v.append(l);
    while (!v.empty() && is_ws(v.back())) v.pop_back();
    return;
  }
  size_t colon = l.find(':');
  std::string_view name = colon == std::string_view::npos ? std::string_view() : trim(l.substr(0, colon));
  if (name.empty() || name.find(' ') != std::string_view::npos) {
    ++ctr_->mime_bad_header;
    return;
  }
  if (hs.size() >= kMaxHeaders || cur_.header_bytes + l.size() > kMaxHeaderBytes) {
    ++ctr_->mime_header_cut;
    return;
  }
  cur_.header_bytes += l.size();
  hs.emplace_back(lower(name), std::string(trim(l.substr(colon + 1))));
}

void MimeParser::headers_end() {
  Entity e = std::move(cur_);
  cur_ = Entity();
  if (!top_done_) {
    top_ = e.headers;
    top_done_ = true;
  }
  status_ = Status::kBodyStarted;
  std::string media, disp;
  Params ct, cd;
  if (const auto* v = find_header(e.headers, "content-type")) ct = parse_params(*v, &media);
  if (const auto* v = find_header(e.headers, "content-disposition")) cd = parse_params(*v, &disp);
  if (media.rfind("multipart/", 0) == 0) {
    const std::string* b = find_param(ct, "boundary");
    if (b != nullptr && !b->empty()) {
      if (bounds_.size() < kMaxDepth) {
        bounds_.push_back(*b);
        st_ = St::kSkip;  // the preamble
        return;
      }
      ++ctr_->mime_depth_cut;  // read on as one leaf
    }
  }
  if (parts_.size() >= kMaxParts) {
    ++ctr_->mime_parts_cut;
    st_ = St::kSkip;
    return;
  }
  Part p;
  p.filename = param(cd, "filename");
  if (p.filename.empty()) p.filename = param(ct, "name");
  p.attachment = !p.filename.empty() || disp == "attachment";
  parts_.push_back(std::move(p));
  in_part_ = true;
  if (sink_ != nullptr) sink_->part_start(parts_.size() - 1, parts_.back());
  std::string cte;
  if (const auto* v = find_header(e.headers, "content-transfer-encoding")) cte = lower(trim(*v));
  enc_ = cte == "base64" ? Enc::kBase64 : cte == "quoted-printable" ? Enc::kQp : Enc::kPlain;
  nl_pending_ = false;
  b64_acc_ = 0;
  b64_n_ = 0;
  st_ = St::kLeaf;
}

bool MimeParser::boundary(std::string_view l) {
  std::string_view rest = l.substr(2);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  for (size_t k = bounds_.size(); k-- > 0;) {
    const std::string& b = bounds_[k];
    if (rest.size() < b.size() || rest.compare(0, b.size(), b) != 0) continue;
    std::string_view tail = rest.substr(b.size());
    if (!tail.empty() && tail != "--") continue;
    close_leaf();
    cur_ = Entity();
    if (tail.empty()) {
      bounds_.resize(k + 1);
      st_ = St::kHeaders;
    } else {
      bounds_.resize(k);
      st_ = St::kSkip;  // the epilogue, up to the enclosing boundary
    }
    return true;
  }
  return false;
}

void MimeParser::leaf_line(std::string_view l) {
  switch (enc_) {
    case Enc::kPlain:
      if (nl_pending_) emit("\r\n");
      emit(l);
      nl_pending_ = true;
      break;
    case Enc::kQp: {
      while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
      bool soft = !l.empty() && l.back() == '=';
      if (soft) l.remove_suffix(1);
      if (nl_pending_) emit("\r\n");
      bool bad = false;
      size_t run = 0;  // start of the literal run not yet emitted
      for (size_t i = 0; i < l.size(); ++i) {
        if (l[i] != '=') continue;
        emit(l.substr(run, i - run));
        if (i + 2 < l.size() && hexval(l[i + 1]) >= 0 && hexval(l[i + 2]) >= 0) {
          emit_byte(char(hexval(l[i + 1]) * 16 + hexval(l[i + 2])));
          i += 2;
          run = i + 1;
        } else {
          bad = true;  // kept as sent, as mail readers show it
          run = i;
        }
      }
      emit(l.substr(run));
      if (bad) ++ctr_->mime_bad_qp;
      nl_pending_ = !soft;
      break;
    }
    case Enc::kBase64: {
      bool bad = false;
      char out[3];
      for (char c : l) {
        int v = b64val(c);
        if (v < 64) {
          b64_acc_ = (b64_acc_ << 6) | uint32_t(v);
          if (++b64_n_ == 4) {
            out[0] = char(b64_acc_ >> 16);
            out[1] = char(b64_acc_ >> 8);
            out[2] = char(b64_acc_);
            emit(std::string_view(out, 3));
            b64_n_ = 0;
            b64_acc_ = 0;
          }
        } else if (v == 64) {  // padding ends a group
          if (b64_n_ == 2) emit_byte(char(b64_acc_ >> 4));
          if (b64_n_ == 3) {
            out[0] = char(b64_acc_ >> 10);
            out[1] = char(b64_acc_ >> 2);
            emit(std::string_view(out, 2));
          }
          if (b64_n_ == 1) bad = true;
          b64_n_ = 0;
          b64_acc_ = 0;
        } else if (v == 66) {
          bad = true;  // skipped, the rest still decodes
        }
      }
      if (bad) ++ctr_->mime_bad_base64;
      break;
    }
  }
}

void MimeParser::close_leaf(bool whole) {
  if (!in_part_) return;
  if (enc_ == Enc::kBase64 && b64_n_ > 0) {  // unpadded end: what the digits hold
    if (b64_n_ == 2) emit_byte(char(b64_acc_ >> 4));
    if (b64_n_ == 3) {
      emit_byte(char(b64_acc_ >> 10));
      emit_byte(char(b64_acc_ >> 2));
    }
    if (b64_n_ == 1 && ctr_ != nullptr) ++ctr_->mime_bad_base64;
    b64_n_ = 0;
    b64_acc_ = 0;
  }
  parts_.back().complete = true;
  in_part_ = false;
  if (sink_ != nullptr) sink_->part_end(parts_.size() - 1, whole);
}

void MimeParser::emit(std::string_view bytes) {
  if (!in_part_ || bytes.empty()) return;
  Part& p = parts_.back();
  p.size += bytes.size();
  if (sink_ != nullptr) sink_->part_bytes(parts_.size() - 1, bytes);
  size_t room = limit_ > p.data.size() ? size_t(limit_ - p.data.size()) : 0;
  if (bytes.size() > room) {
    if (!p.cut && ctr_ != nullptr) ++ctr_->smtp_file_data_cut;
    p.cut = true;
    bytes = bytes.substr(0, room);
  }
  p.data.append(bytes);
}

void MimeParser::end() {
  if (status_ == Status::kDone) return;
  if (st_ == St::kHeaders && !top_done_) {  // a message of headers only
    top_ = std::move(cur_.headers);
    top_done_ = true;
  }
  close_leaf(bounds_.empty());  // inside a multipart: its closing boundary is missing
  status_ = Status::kDone;
}

const std::string* MimeParser::header(std::string_view lower_name) const {
  return find_header(top_done_ ? top_ : cur_.headers, lower_name);
}

std::string_view MimeParser::status_name() const {
  switch (status_) {
    case Status::kNone:
      return "NONE";
    case Status::kHeaderStarted:
      return "HEADER_STARTED";
    case Status::kBodyStarted:
      return "BODY_STARTED";
    case Status::kDone:
      return "PARSE_DONE";
  }
  return "NONE";
}

}  // namespace vigil
