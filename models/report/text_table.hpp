#pragma once
#include <string>
#include <vector>

namespace kq {

/// A table of already-formatted cells, rendered the same way into Markdown, HTML and a
/// fixed-width console view, so every output of a report states identical figures.
struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// Column 0 is left-aligned (labels); the others are right-aligned (figures).
  std::string to_markdown() const;
  std::string to_html() const;  ///< cells are HTML-escaped
  std::string to_console(const std::string& indent = "  ") const;
};

/// Escapes &, <, >, " for HTML text and attributes.
std::string html_escape(const std::string& s);

}  // namespace kq
