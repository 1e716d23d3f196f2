#include "config/cluster_map.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace actorchat {

std::optional<node_address> parse_node(std::string_view text, std::string& why) {
  auto eq = text.find('=');
  auto colon = text.rfind(':');
  if (eq == std::string_view::npos || eq == 0 || colon == std::string_view::npos
      || colon < eq) {
    why = "must look like \"id=host:port\" (e.g. \"a=127.0.0.1:7101\")";
    return std::nullopt;
  }
  node_address out;
  out.id = std::string{text.substr(0, eq)};
  for (char c : out.id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      why = "the node id '" + out.id + "' may hold only letters, digits, '-', '_' and '.'";
      return std::nullopt;
    }
  auto host = text.substr(eq + 1, colon - eq - 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    why = "the host is empty";
    return std::nullopt;
  }
  out.host = std::string{host};
  auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0
      || port > 65535) {
    why = "the port must be a number from 1 to 65535, is '" + std::string{port_text} + "'";
    return std::nullopt;
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

cluster_map::cluster_map(std::string self, std::vector<node_address> nodes)
  : self_(std::move(self)), nodes_(std::move(nodes)) {
  // Nothing else here depends on the order, but keep it stable for logs and metrics.
}

uint64_t cluster_map::score(std::string_view node, std::string_view key) {
  uint64_t h = 14695981039346656037ull; // FNV-1a 64
  auto feed = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  feed(node);
  feed(std::string_view{"\0", 1}); // "ab"+"c" and "a"+"bc" must differ
  feed(key);
  // splitmix64's finalizer: FNV's low bits are weak for short keys.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

const node_address& cluster_map::home_of(std::string_view key) const {
  auto best = nodes_.begin();
  auto best_score = score(best->id, key);
  for (auto i = std::next(nodes_.begin()); i != nodes_.end(); ++i) {
    auto s = score(i->id, key);
    if (s > best_score || (s == best_score && i->id < best->id)) {
      best = i;
      best_score = s;
    }
  }
  return *best;
}

const node_address& cluster_map::own() const {
  return *std::find_if(nodes_.begin(), nodes_.end(),
                       [&](const node_address& n) { return n.id == self_; });
}

} // namespace actorchat
