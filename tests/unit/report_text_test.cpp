#include <catch2/catch.hpp>

#include "models/common/base64.hpp"
#include "models/report/text_table.hpp"

TEST_CASE("base64 follows RFC 4648's test vectors", "[unit]") {
  CHECK(kq::base64_encode("") == "");
  CHECK(kq::base64_encode("f") == "Zg==");
  CHECK(kq::base64_encode("fo") == "Zm8=");
  CHECK(kq::base64_encode("foo") == "Zm9v");
  CHECK(kq::base64_encode("foob") == "Zm9vYg==");
  CHECK(kq::base64_encode("fooba") == "Zm9vYmE=");
  CHECK(kq::base64_encode("foobar") == "Zm9vYmFy");
  CHECK(kq::base64_encode(std::string("\xff\x00\x80", 3)) == "/wCA");
}

TEST_CASE("one table renders the same cells to Markdown, HTML and the console", "[unit]") {
  kq::TextTable t;
  t.header = {"", "a|b", "µJ"};
  t.rows = {{"energy", "1.5", "<2>"}, {"x", "10", "3 & 4"}};
  CHECK(t.to_markdown() ==
        "|  | a\\|b | µJ |\n|---|---:|---:|\n| energy | 1.5 | <2> |\n| x | 10 | 3 & 4 |\n");
  const std::string html = t.to_html();
  CHECK(html.find("<td>&lt;2&gt;</td>") != std::string::npos);
  CHECK(html.find("<td>3 &amp; 4</td>") != std::string::npos);
  CHECK(html.find("<td class=\"l\">energy</td>") != std::string::npos);
  // Console columns align by code points, so "µJ" (3 bytes) is two characters wide.
  CHECK(t.to_console("") == "        a|b     µJ\nenergy  1.5    <2>\nx        10  3 & 4\n");
}
