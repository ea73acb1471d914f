// Disabling sids in rule text: the rule's lines are commented out where they
// are (continued lines too), rules shipped commented out and other rules are
// untouched, and the sid is read as the sid option only.
#include "collector/rule_disable.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;

TEST_CASE("disabled sids are commented out in place, other lines unchanged") {
  const std::string text =
      "# a comment naming sid:2;\n"
      "alert tcp any any -> any 80 (msg:\"two\"; sid:2; rev:1;)\n"
      "alert tcp any any -> any 80 (msg:\"gid:2 sid 2\"; gid:1; sid : 20 ;)\n"
      "  drop udp any any -> any 53 (msg:\"multi\"; \\\n"
      "    content:\"x\"; sid:3;)\n"
      "# alert ip any any -> any any (msg:\"shipped off\"; sid:4;)\n"
      "\n"
      "alert ip any any -> any any (msg:\"five\"; sid:5;)";
  CHECK(apply_disabled_sids(text, {}) == text);
  std::string out = apply_disabled_sids(text, {2, 3, 4});
  CHECK(out ==
        "# a comment naming sid:2;\n"
        "# alert tcp any any -> any 80 (msg:\"two\"; sid:2; rev:1;)\n"
        "alert tcp any any -> any 80 (msg:\"gid:2 sid 2\"; gid:1; sid : 20 ;)\n"
        "#   drop udp any any -> any 53 (msg:\"multi\"; \\\n"
        "#     content:\"x\"; sid:3;)\n"
        "# alert ip any any -> any any (msg:\"shipped off\"; sid:4;)\n"
        "\n"
        "alert ip any any -> any any (msg:\"five\"; sid:5;)");
  CHECK(apply_disabled_sids(text, {20}).find("# alert tcp any any -> any 80 (msg:\"gid:2") !=
        std::string::npos);
  CHECK(apply_disabled_sids("alert ip any any -> any any (sid:5;)\n", {5}) ==
        "# alert ip any any -> any any (sid:5;)\n");
}

TEST_CASE("a sid is in a rule set whether its rule is active or commented out") {
  const std::string text =
      "alert tcp any any -> any 80 (msg:\"sid:9\"; sid:2;)\n# alert ip any any -> any any (sid:4;)\n";
  CHECK(ruleset_has_sid(text, 2));
  CHECK(ruleset_has_sid(text, 4));
  CHECK_FALSE(ruleset_has_sid(text, 9));
  CHECK_FALSE(ruleset_has_sid(text, 1));
}
