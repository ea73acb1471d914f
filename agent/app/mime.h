// MIME (RFC 2045/2046) over the lines of one mail message, streaming: the
// SMTP parser hands over each line of DATA/BDAT (dot-unstuffed, line end
// removed) and the end of the message; nothing is kept but the bounded
// results below.
//
// Results: the top-level headers (names lowercased, folded lines joined),
// and one Part per leaf entity (text bodies and attachments alike) with its
// decoded body (base64, quoted-printable, or as sent) up to `part_limit`
// bytes, and its file name (Content-Disposition filename, else Content-Type
// name; RFC 2231 parameters and RFC 2047 encoded words decoded).
//
// Bounds, all counted in AppCounters when hit: multipart nesting kMaxDepth,
// kMaxParts leaf parts, kMaxHeaders headers of kMaxHeaderBytes each per
// entity, part_limit decoded bytes per part. Malformed base64 or
// quoted-printable is decoded as far as it goes and counted, never fatal.
//
// Used on the worker thread that owns the flow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/app/app_counters.h"

namespace vigil {

class MimeParser {
 public:
  static constexpr size_t kMaxDepth = 8;
  static constexpr size_t kMaxParts = 64;
  static constexpr size_t kMaxHeaders = 128;
  static constexpr size_t kMaxHeaderBytes = 8192;

  enum class Status : uint8_t { kNone, kHeaderStarted, kBodyStarted, kDone };

  struct Part {
    std::string data;      // decoded body, at most part_limit bytes
    std::string filename;  // empty when the entity names no file
    bool attachment = false;
    uint64_t size = 0;  // decoded bytes seen, also those past the limit
    bool complete = false;
    bool cut = false;  // part_limit reached
  };

  // Optional listener for each part's whole decoded body (also past
  // part_limit): the SMTP parser turns attachments into files through it.
  class Sink {
   public:
    virtual ~Sink() = default;
    // Part i starts (its headers are parsed: filename, attachment are set).
    virtual void part_start(size_t i, const Part& p) = 0;
    // Decoded bytes of part i, in order.
    virtual void part_bytes(size_t i, std::string_view bytes) = 0;
    // Part i ended: at its boundary or at the end of a message that is not
    // multipart (whole = true), or at the end of a message whose closing
    // boundary never came (whole = false).
    virtual void part_end(size_t i, bool whole) = 0;
  };

  explicit MimeParser(uint64_t part_limit) : limit_(part_limit) {}
  void set_sink(Sink* s) { sink_ = s; }

  // One line of the message, without its line end.
  void line(std::string_view l, AppCounters& ctr);
  // The message ended (final "." or BDAT LAST).
  void end();

  // First value of a top-level header (name in lower case), nullptr if absent.
  const std::string* header(std::string_view lower_name) const;
  const std::vector<Part>& parts() const { return parts_; }
  Status status() const { return status_; }
  // Suricata's spelling of status(): "HEADER_STARTED", "BODY_STARTED", "PARSE_DONE".
  std::string_view status_name() const;
  bool headers_done() const { return top_done_; }

 private:
  enum class Enc : uint8_t { kPlain, kBase64, kQp };
  enum class St : uint8_t { kHeaders, kLeaf, kSkip };

  struct Entity {
    std::vector<std::pair<std::string, std::string>> headers;
    size_t header_bytes = 0;
  };

  void header_line(std::string_view l);
  void headers_end();
  bool boundary(std::string_view l);
  void leaf_line(std::string_view l);
  void close_leaf(bool whole = true);
  void emit(std::string_view bytes);
  void emit_byte(char c) { emit(std::string_view(&c, 1)); }

  AppCounters* ctr_ = nullptr;  // of the current line() call
  Sink* sink_ = nullptr;
  uint64_t limit_;
  Status status_ = Status::kNone;
  St st_ = St::kHeaders;
  bool top_done_ = false;
  std::vector<std::pair<std::string, std::string>> top_;  // the message's headers
  Entity cur_;
  std::vector<std::string> bounds_;  // open multipart boundaries, outermost first
  std::vector<Part> parts_;
  bool in_part_ = false;  // parts_.back() receives the leaf's bytes
  Enc enc_ = Enc::kPlain;
  bool nl_pending_ = false;
  uint32_t b64_acc_ = 0;
  int b64_n_ = 0;
};

// RFC 2047 encoded words (=?charset?B?...?= / ?Q?) in s decoded to their
// bytes (the charset is not converted); other text is kept.
std::string mime_decode_words(std::string_view s);

}  // namespace vigil
