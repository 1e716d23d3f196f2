// word-filter: a filter behaviour. Every message said anywhere passes it before it is stored;
// one that contains a listed word (a whole word, in any ASCII case) is rejected (the sender gets
// error rejected with [chat.word-filter] reason) or, with mode = "mask", goes out with the word
// replaced by asterisks.
#include "examples/behaviours/behaviours.hpp"

#include <caf/sec.hpp>

namespace actorchat::examples {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Letters, digits and every byte of a multi-byte UTF-8 character are word characters.
bool word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u >= 0x80;
}

/// Finds `word` (lowercase) in `text` as a whole word from `from` on; npos if absent.
size_t find_word(const std::string& text, const std::string& word, size_t from) {
  for (size_t pos = from; pos + word.size() <= text.size(); ++pos) {
    size_t i = 0;
    while (i < word.size() && lower(text[pos + i]) == word[i])
      ++i;
    if (i == word.size() && (pos == 0 || !word_char(text[pos - 1]))
        && (pos + i == text.size() || !word_char(text[pos + i])))
      return pos;
  }
  return std::string::npos;
}

} // namespace

caf::behavior word_filter(caf::event_based_actor*, behaviour_context ctx) {
  auto words = setting(ctx, "words", std::vector<std::string>{});
  for (auto& w : words)
    for (auto& c : w)
      c = lower(c);
  auto mode = setting(ctx, "mode", "reject");
  auto reason = setting(ctx, "reason", "that word is not allowed here");
  return {
    [words, mode](describe_atom) -> caf::result<behaviour_info> {
      if (mode != "reject" && mode != "mask")
        return caf::make_error(caf::sec::invalid_argument,
                               "chat.word-filter.mode must be \"reject\" or \"mask\", is \""
                                 + mode + "\"");
      for (auto& w : words)
        if (w.empty() || !word_char(w.front()) || !word_char(w.back()))
          return caf::make_error(caf::sec::invalid_argument,
                                 "chat.word-filter.words: \"" + w
                                   + "\" must start and end with a letter or digit");
      behaviour_info info;
      info.filter = true;
      return info;
    },
    [words, mode, reason](filter_atom, const chat_message& m) {
      auto text = m.text;
      bool found = false;
      for (auto& w : words) {
        for (auto pos = find_word(text, w, 0); pos != std::string::npos;
             pos = find_word(text, w, pos + w.size())) {
          if (mode == "reject")
            return filter_verdict::refuse(reason);
          found = true;
          text.replace(pos, w.size(), std::string(w.size(), '*'));
        }
      }
      return found ? filter_verdict::replace(std::move(text)) : filter_verdict::pass();
    },
  };
}

} // namespace actorchat::examples
