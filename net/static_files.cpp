#include "net/static_files.hpp"

#include <filesystem>

namespace actorchat::netio {

namespace fs = std::filesystem;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Decodes %XX escapes; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size())
      return false;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0)
      return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

} // namespace

file_lookup resolve_static(const std::string& web_root, std::string_view target) {
  file_lookup result;
  auto end = target.find_first_of("?#");
  auto raw = target.substr(0, end);
  std::string path;
  if (raw.empty() || raw.front() != '/' || !percent_decode(raw, path)) {
    result.status = 400;
    return result;
  }
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) {
    result.status = 400;
    return result;
  }
  // Refuse any ".." segment outright rather than normalizing it away.
  for (size_t pos = 0; pos <= path.size();) {
    auto next = path.find('/', pos);
    auto seg = std::string_view{path}.substr(pos, next == std::string::npos ? next : next - pos);
    if (seg == "..") {
      result.status = 400;
      return result;
    }
    if (next == std::string::npos)
      break;
    pos = next + 1;
  }
  fs::path candidate = fs::path{web_root} / fs::path{path}.relative_path();
  std::error_code ec;
  if (fs::is_directory(candidate, ec))
    candidate /= "index.html";
  auto canonical = fs::canonical(candidate, ec);
  if (ec || !fs::is_regular_file(canonical, ec)) {
    result.status = 404;
    return result;
  }
  // A symlink inside web-root must not lead outside it.
  auto s = canonical.string();
  if (s.compare(0, web_root.size(), web_root) != 0 || s.size() <= web_root.size()
      || s[web_root.size()] != '/') {
    result.status = 404;
    return result;
  }
  result.status = 200;
  result.path = std::move(s);
  return result;
}

std::string_view mime_type(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
  };
  auto dot = path.rfind('.');
  if (dot != std::string_view::npos) {
    auto ext = path.substr(dot);
    for (auto& [e, t] : types)
      if (e == ext)
        return t;
  }
  return "application/octet-stream";
}

} // namespace actorchat::netio
