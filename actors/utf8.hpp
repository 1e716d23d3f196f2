// utf8: strict UTF-8 (RFC 3629): no stray continuation bytes, no truncated or overlong
// sequences, no surrogates, nothing above U+10FFFF. Used for nicknames (actors/command.cpp) and
// for every inbound text message (net/websocket_session.cpp).
//
// Why the session checks messages again although Beast checks text frames: Beast 1.81 skips its
// end-of-message check when the last frame of a message is empty, so "hello\xC3" followed by an
// empty final frame reads as valid (found by fuzz/ws_frames_fuzz.cpp). Stored and broadcast, such
// a message would make every browser in the room drop its connection.
#pragma once

#include <cstddef>
#include <string_view>

namespace actorchat {

/// Decodes the UTF-8 sequence at s[pos] into `cp` and advances `pos`. False if the sequence is
/// not well-formed: truncated, a stray continuation byte, overlong, a surrogate, or > U+10FFFF.
inline bool decode_utf8(std::string_view s, size_t& pos, char32_t& cp) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto lead = byte(pos);
  size_t len = 0;
  char32_t min = 0; // smallest code point that needs `len` bytes: anything less is overlong
  if (lead < 0x80) {
    cp = lead;
    ++pos;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2;
    cp = lead & 0x1F;
    min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3;
    cp = lead & 0x0F;
    min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4;
    cp = lead & 0x07;
    min = 0x10000;
  } else {
    return false;
  }
  if (s.size() - pos < len)
    return false;
  for (size_t i = 1; i < len; ++i) {
    auto b = byte(pos + i);
    if ((b & 0xC0) != 0x80)
      return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return false;
  pos += len;
  return true;
}

/// True if all of `s` is well-formed UTF-8.
inline bool valid_utf8(std::string_view s) {
  size_t pos = 0;
  char32_t cp = 0;
  while (pos < s.size())
    if (!decode_utf8(s, pos, cp))
      return false;
  return true;
}

} // namespace actorchat
