#include "actors/types.hpp"

namespace actorchat {

namespace {

constexpr caf::atom_value chat_category = caf::atom("chat");

} // namespace

caf::error make_error(chat_errc code) {
  return caf::error{static_cast<uint8_t>(code), chat_category};
}

std::string error_code(const caf::error& err) {
  if (err.category() != chat_category)
    return "internal";
  switch (static_cast<chat_errc>(err.code())) {
    case chat_errc::store_unavailable: return "store_unavailable";
    case chat_errc::room_limit: return "room_limit";
    case chat_errc::already_joined: return "already_joined";
    case chat_errc::not_in_room: return "not_in_room";
    case chat_errc::nick_taken: return "nick_taken";
    case chat_errc::room_unavailable: return "room_unavailable";
    case chat_errc::nick_unavailable: return "nick_unavailable";
    default: return "internal";
  }
}

} // namespace actorchat
