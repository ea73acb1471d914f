// How people's credentials travel: the session cookie (its name, the
// Set-Cookie fields that set and clear it, reading it back from a request),
// the prefix that tells a user token from an API key, and a constant-time
// comparison for the CSRF token. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "collector/http/message.h"

namespace vigil::collector {

inline constexpr std::string_view kSessionCookie = "vigil_session";
// User tokens start with this; API keys ("vk_...") and agent credentials
// ("ID.KEY") do not.
inline constexpr std::string_view kUserTokenPrefix = "vgu_";

// The session cookie's value from the request's Cookie header(s); empty when absent.
std::string session_cookie(const RequestHead& req);
// "vigil_session=VALUE; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=N".
std::string session_set_cookie(const std::string& value, int64_t max_age_s);
// The same with an empty value and Max-Age=0: the browser drops the cookie.
std::string session_clear_cookie();
// Equal strings, in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace vigil::collector
