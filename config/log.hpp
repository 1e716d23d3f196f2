// log: one line per event on stderr, "TIME LEVEL event key=value ...". Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace actorchat::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3 };

/// Parses "debug", "info", "warn" or "error"; false if the name is none of them.
bool parse_level(std::string_view name, level& out);

void set_level(level lvl);
bool enabled(level lvl);

/// Writes one line; `fields` is "key=value key=value" (may be empty).
void write(level lvl, std::string_view event, std::string_view fields);

inline void debug(std::string_view e, std::string_view f = {}) {
  if (enabled(level::debug))
    write(level::debug, e, f);
}
inline void info(std::string_view e, std::string_view f = {}) { write(level::info, e, f); }
inline void warn(std::string_view e, std::string_view f = {}) { write(level::warn, e, f); }
inline void error(std::string_view e, std::string_view f = {}) { write(level::error, e, f); }

/// Quotes a value for a log field when it contains spaces or quotes.
std::string quote(std::string_view value);

} // namespace actorchat::log
