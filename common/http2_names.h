// HTTP/2 names as Suricata writes and reads them (EVE's error_code, the
// http2.frametype and http2.errorcode keywords): frame types (RFC 9113
// section 6) and error codes (section 7), indexed by their number.
#pragma once

#include <string_view>

namespace vigil {

inline constexpr std::string_view kHttp2FrameNames[] = {
    "DATA",         "HEADERS", "PRIORITY", "RST_STREAM",    "SETTINGS",
    "PUSH_PROMISE", "PING",    "GOAWAY",   "WINDOW_UPDATE", "CONTINUATION"};
inline constexpr std::string_view kHttp2ErrorNames[] = {"NO_ERROR",
                                                        "PROTOCOL_ERROR",
                                                        "INTERNAL_ERROR",
                                                        "FLOW_CONTROL_ERROR",
                                                        "SETTINGS_TIMEOUT",
                                                        "STREAM_CLOSED",
                                                        "FRAME_SIZE_ERROR",
                                                        "REFUSED_STREAM",
                                                        "CANCEL",
                                                        "COMPRESSION_ERROR",
                                                        "CONNECT_ERROR",
                                                        "ENHANCE_YOUR_CALM",
                                                        "INADEQUATE_SECURITY",
                                                        "HTTP_1_1_REQUIRED"};

}  // namespace vigil
