// libFuzzer target: the configuration validator, chat_config::validate_text (config/).
//
// Every input is the text of a caf-application.conf. The validator runs CAF 0.17's INI parser
// on it (parse_config), then checks every key of every section against the declared [chat]
// options, finds the line of each offending key and turns CAF's parser errors into readable
// messages with std::regex; that is the code a server runs at startup on a file an operator
// wrote, so it must survive anything: no crash, no sanitizer report, no exception (libFuzzer
// reports an escaping exception as a crash). Every problem it returns must be a non-empty
// message that starts with the file's name and a ':' (all of them name the file, most also the
// line and key). One chat_config is built once and shared: validate_text is const.

#include "config/chat_config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
  if (!ok)
    __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const actorchat::chat_config cfg;
  static const std::string name = "fuzz.conf";
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto problems = cfg.validate_text(text, name);
  for (auto& p : problems) {
    check(!p.empty());
    check(p.size() > name.size() && p.compare(0, name.size(), name) == 0
          && p[name.size()] == ':');
  }
  return 0;
}
