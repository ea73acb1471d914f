// HTTP anomalies: the oddities an HTTP message can carry that a lenient
// client still reads (and that evasions use). One list gives the enum, the
// `app_layer.anomaly.http.*` counters (app_counters.h) and the names written
// to EVE, so the three cannot drift apart.
//
// Set by the HTTP parser on the worker owning the flow, once per transaction
// and kind (HttpTx::anomalies); the counter counts transactions that had it.
#pragma once

#include <cstdint>
#include <string_view>

// A(X, name): `name` is the enum value, the counter field http_<name> and the
// counter/EVE name.
#define VIGIL_HTTP_ANOMALIES(A, X)                                                   \
  A(X, bare_cr_line_end)           /* a head whose lines end in a lone CR */         \
  A(X, bare_lf_line_end)           /* head lines ended by LF alone */                \
  A(X, header_control_char)        /* control bytes in a header name or value */     \
  A(X, no_status_line)             /* a response without status line (HTTP/0.9) */   \
  A(X, junk_before_status)         /* lines skipped before the status line */        \
  A(X, odd_status_line)            /* no reason, extra spaces, lowercase version */  \
  A(X, uri_with_spaces)            /* request target holding spaces */               \
  A(X, multiple_content_length)    /* Content-Length values that differ */           \
  A(X, content_length_and_chunked) /* both framings given: chunked wins */           \
  A(X, unusual_transfer_encoding)  /* Transfer-Encoding other than "chunked" */      \
  A(X, chunk_extension)            /* ";ext" after a chunk size */                   \
  A(X, odd_chunk_size)             /* leading zeros or whitespace in a chunk size */ \
  A(X, chunk_lf_only)              /* chunk lines ended by LF alone */               \
  A(X, chunk_missing_final)        /* chunked body cut before its last chunk/CRLF */ \
  A(X, invalid_chunk_size)         /* a response chunk size that is no hex number */ \
  A(X, body_until_close)           /* response body delimited by the close */        \
  A(X, unknown_content_encoding)   /* a coding not decoded (left as is) */           \
  A(X, nested_content_encoding)    /* more than one coding */                        \
  A(X, content_encoding_layers)    /* more codings than decoded (cap) */             \
  A(X, encoding_not_applied)       /* declared coding did not decode: as sent */     \
  A(X, gzip_multiple_members)      /* gzip members one after another */              \
  A(X, gzip_trailing_data)         /* bytes after the end of a compressed stream */  \
  A(X, decompression_ratio)        /* decoded/encoded ratio cap hit */

namespace vigil {

#define VIGIL_HTTP_ANOMALY_ENUM_(X, n) n,
enum class HttpAnomaly : uint8_t { VIGIL_HTTP_ANOMALIES(VIGIL_HTTP_ANOMALY_ENUM_, _) kCount };
#undef VIGIL_HTTP_ANOMALY_ENUM_
static_assert(static_cast<int>(HttpAnomaly::kCount) <= 32, "anomalies are a 32-bit mask");

inline std::string_view http_anomaly_name(HttpAnomaly a) {
#define VIGIL_HTTP_ANOMALY_NAME_(X, n) #n,
  static constexpr std::string_view kNames[] = {VIGIL_HTTP_ANOMALIES(VIGIL_HTTP_ANOMALY_NAME_, _)};
#undef VIGIL_HTTP_ANOMALY_NAME_
  return kNames[static_cast<int>(a)];
}

}  // namespace vigil
