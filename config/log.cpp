#include "config/log.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace actorchat::log {

namespace {

std::atomic<int> min_level{static_cast<int>(level::info)};
std::mutex out_mtx;

const char* level_name(level lvl) {
  switch (lvl) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warn: return "WARN";
    default: return "ERROR";
  }
}

} // namespace

bool parse_level(std::string_view name, level& out) {
  static constexpr std::pair<std::string_view, level> names[] = {
    {"debug", level::debug}, {"info", level::info}, {"warn", level::warn}, {"error", level::error}};
  for (auto& [n, l] : names)
    if (n == name) {
      out = l;
      return true;
    }
  return false;
}

void set_level(level lvl) { min_level = static_cast<int>(lvl); }

bool enabled(level lvl) { return static_cast<int>(lvl) >= min_level.load(std::memory_order_relaxed); }

void write(level lvl, std::string_view event, std::string_view fields) {
  if (!enabled(lvl))
    return;
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string line;
  line.reserve(64 + event.size() + fields.size());
  line.append(stamp).append(" ").append(level_name(lvl)).append(" ").append(event);
  if (!fields.empty())
    line.append(" ").append(fields);
  line.push_back('\n');
  std::lock_guard<std::mutex> guard{out_mtx};
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::string quote(std::string_view value) {
  auto is_control = [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  };
  bool plain = !value.empty() && value.find_first_of(" \"=\\") == std::string_view::npos
               && std::none_of(value.begin(), value.end(), is_control);
  if (plain)
    return std::string{value};
  // Peers choose some values (close reasons, nicknames): a control byte (a newline, a terminal
  // escape) must not start a forged line or rewrite the operator's terminal.
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (is_control(c)) {
      auto u = static_cast<unsigned char>(c);
      out.append("\\x").push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

} // namespace actorchat::log
