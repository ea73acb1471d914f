#include "rules/buffer_names.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "rules/keywords.h"

using namespace vigil;
using namespace vigil::rules;

TEST_CASE("every buffer name in the table is a keyword and resolves to its slot") {
  for (size_t i = 0; i < kBufferCount; ++i) {
    auto n = buffer_name(BufferId(i));
    CHECK(buffer_slot(n) == int(i));
    CHECK(find_keyword(n) != nullptr);
  }
  std::set<std::string> seen;
  for (auto& a : buffer_aliases()) {
    INFO(std::string(a.name));
    CHECK(seen.insert(std::string(a.name)).second);  // each alias once
    CHECK(buffer_slot(a.name) == a.slot);
    CHECK(find_keyword(a.name) != nullptr);
  }
  CHECK(buffer_slot("pkt_data") == kSlotPayload);
  CHECK(buffer_slot("http_uri") == int(BufferId::kHttpUri));
  CHECK(buffer_slot("http.request_body") == int(BufferId::kHttpRequestBody));
  CHECK(buffer_slot("no_such_buffer") == -2);
}

TEST_CASE("the legacy content modifiers are marked in the table") {
  CHECK(is_content_modifier("http_uri"));
  CHECK(is_content_modifier("http_raw_host"));
  CHECK_FALSE(is_content_modifier("http_accept"));  // sticky only
  CHECK_FALSE(is_content_modifier("http.uri"));
  CHECK_FALSE(is_content_modifier("file_data"));
}
