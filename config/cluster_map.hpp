// cluster_map: the static list of a cluster's nodes and which node is home to what.
//
// Every node reads the same list (chat.cluster.nodes) and so computes the same home for every
// room and every nickname, with no coordination: rendezvous (highest random weight) hashing,
// each node scoring hash(node id, key) and the highest score winning. Adding or removing a node
// moves only the keys whose winner changes (about 1/N of them), not all of them. The hash is
// FNV-1a 64 with a final mix, fixed here, so that nodes of different builds agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorchat {

/// One node: its id and the address of its cluster port (CAF's middleman).
struct node_address {
  std::string id;
  std::string host;
  uint16_t port = 0;
};

/// "id=host:port" (a host may be an IPv4 address, a name, or [IPv6]) as a node_address; nullopt
/// and the reason in `why` if it is not of that form.
std::optional<node_address> parse_node(std::string_view text, std::string& why);

class cluster_map {
public:
  cluster_map() = default; ///< no cluster: this node is home to everything
  cluster_map(std::string self, std::vector<node_address> nodes);

  /// True if there is a cluster (a node list).
  bool enabled() const { return !nodes_.empty(); }

  const std::string& self() const { return self_; }

  /// Every node, this one included, in config order.
  const std::vector<node_address>& nodes() const { return nodes_; }

  /// The node that is home to `key` (a room name, or a folded nickname). Requires enabled().
  const node_address& home_of(std::string_view key) const;

  /// True if this node is home to `key` (always, without a cluster).
  bool is_home(std::string_view key) const { return !enabled() || home_of(key).id == self_; }

  /// This node's own entry. Requires enabled().
  const node_address& own() const;

  /// The weight of `node` for `key` (exposed for tests).
  static uint64_t score(std::string_view node, std::string_view key);

private:
  std::string self_;
  std::vector<node_address> nodes_;
};

} // namespace actorchat
