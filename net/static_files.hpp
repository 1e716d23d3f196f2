// static_files: maps a request target to a file under web-root, safely, and names its type.
// Pure C++ (no Beast), so the rules are easy to read and to test.
#pragma once

#include <string>
#include <string_view>

namespace actorchat::netio {

struct file_lookup {
  unsigned status = 404; ///< 200 (path is set), 400 (malformed or escaping path) or 404
  std::string path;      ///< absolute path of a regular file inside web-root
};

/// Resolves `target` ("/", "/chat.js?v=2", ...) against the canonical `web_root`. Percent-escapes
/// are decoded first; "..", NUL and backslashes are refused (400); symlinks that leave web-root
/// are refused (404); "/" and directories map to their index.html.
file_lookup resolve_static(const std::string& web_root, std::string_view target);

/// Content-Type for a file name, by extension ("application/octet-stream" if unknown).
std::string_view mime_type(std::string_view path);

} // namespace actorchat::netio
