// store: durable chat history in SQLite (WAL mode), one actor for the whole server.
//
// Rooms send it the messages they accepted; it commits them in one transaction per batch, with
// every room's pending messages in the same transaction (group commit), and replies only once the
// transaction is committed. A room broadcasts a message only after that reply, so whatever any
// client saw survives kill -9. The store runs detached (its own thread): SQLite blocks.
#pragma once

#include "actors/metrics.hpp"
#include "actors/types.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace actorchat {

using persist_atom = caf::atom_constant<caf::atom("persist")>;
using recover_atom = caf::atom_constant<caf::atom("recover")>;
using health_atom = caf::atom_constant<caf::atom("health")>;

/// What a room needs to start: its highest seq ever persisted and its newest messages.
struct room_recovery {
  uint64_t last_seq = 0;
  std::vector<chat_message> recent; ///< oldest first, at most the requested limit
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_recovery& x) {
  return f(caf::meta::type_name("room_recovery"), x.last_seq, x.recent);
}

using store_actor = caf::typed_actor<
  /// Persists messages of one room with consecutive seqs, durably. Replies with the last seq
  /// once committed, or with an error (nothing of the batch was persisted).
  caf::replies_to<persist_atom, std::vector<chat_message>>::with<uint64_t>,
  /// The room's highest persisted seq (0 if none) and its newest `limit` messages.
  caf::replies_to<recover_atom, std::string, uint64_t>::with<room_recovery>,
  /// Scrollback: up to `limit` messages with seq < `before` (before = 0: the newest), oldest
  /// first; complete = true if nothing older than the first returned message is kept.
  caf::replies_to<page_atom, std::string, uint64_t, uint64_t>::with<history_page>,
  /// True while the last write succeeded (or none was tried), with the last error text.
  caf::replies_to<health_atom>::with<bool, std::string>>;

struct store_settings {
  std::string path = "data/actorchat.db"; ///< ":memory:" for no file; parent dirs are created
  bool sync_full = true;                  ///< PRAGMA synchronous=FULL (else NORMAL)
  uint64_t max_messages_per_room = 100000; ///< retention, 0 = unlimited
  caf::timespan max_age{0};               ///< retention by age, 0 = unlimited
  caf::timespan prune_interval = std::chrono::seconds(10); ///< how often retention runs
  bool detached = true; ///< own thread (SQLite blocks); false only for deterministic unit tests
  metrics_ptr metrics;  ///< commit batch sizes, latency, failures, health; null: not counted
};

/// Opens (creating if needed) the database and spawns the detached store actor. On failure
/// returns a null handle and sets `error` to a message naming chat.store-path (cannot be
/// opened or created, not a database, read-only, corrupt).
store_actor spawn_store(caf::actor_system& sys, const store_settings& settings,
                        std::string& error);

} // namespace actorchat
