// The store's implementation (see store.hpp for its contract). All SQLite work happens in the
// store actor, on its own thread when detached; the one connection is never shared. Failures
// are sqlite::failure exceptions, caught at each transaction boundary and turned into replies.
#include "actors/store.hpp"

#include "actors/quiet_handlers.hpp"
#include "actors/sqlite.hpp"
#include "config/log.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace actorchat {

namespace {

// -- tuning --------------------------------------------------------------------------------------

/// A group commit is closed at this many messages even while persist requests keep arriving, so
/// one transaction, and the replies that wait for it, stays short under sustained load.
constexpr size_t max_group_messages = 1024;

/// Retention deletes at most this many rows per transaction: a request that arrives meanwhile
/// waits for one small transaction at most.
constexpr int64_t prune_chunk = 1000;

/// How long a statement waits for a lock held by another connection (the sqlite3 shell, a
/// backup) before it fails with SQLITE_BUSY.
constexpr int busy_timeout_ms = 5000;

/// The schema this code creates and understands (PRAGMA user_version); see `migrations`.
constexpr int schema_version = 2;

/// Seqs are uint64_t in C++ but INTEGER (int64) in SQLite.
constexpr uint64_t max_db_seq = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// -- the store's own messages --------------------------------------------------------------------

using prune_atom = caf::atom_constant<caf::atom("prune")>;          ///< ticker: start a round
using prune_step_atom = caf::atom_constant<caf::atom("prunestep")>; ///< next chunk of a round
using probe_atom = caf::atom_constant<caf::atom("probe")>; ///< while unhealthy: try a write

/// The public interface plus the retention and probe messages, which only the store (and its
/// ticker) sends itself.
using store_impl_actor = store_actor::extend<caf::reacts_to<prune_atom>,
                                             caf::reacts_to<prune_step_atom>,
                                             caf::reacts_to<probe_atom>>;

/// While the last write failed, the store tries a small write this often by itself: health
/// (/healthz, actorchat_store_healthy) must come back when the disk does, also on a node that
/// nobody talks to because it reports unhealthy.
constexpr auto probe_interval = std::chrono::seconds(2);

// -- schema and connection -----------------------------------------------------------------------

// migrations[i] takes the schema from version i to i + 1 (migrations[0]: from an empty file to
// version 1). A new database runs them all, an older one those it lacks, in one transaction that
// also sets user_version: a file is at one version or the other, never in between. Append a
// step for every change; never edit one that has shipped.
constexpr const char* migrations[] = {
  // 1: messages, and `rooms`, which remembers each room's highest seq ever persisted: retention
  // deletes messages, never a room's row, so a seq is never handed out twice even when all of
  // a room's messages are gone.
  R"sql(
CREATE TABLE IF NOT EXISTS messages (
  room   TEXT    NOT NULL,
  seq    INTEGER NOT NULL,
  sender TEXT    NOT NULL,
  ts     INTEGER NOT NULL,
  text   TEXT    NOT NULL,
  PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
  room     TEXT    NOT NULL PRIMARY KEY,
  last_seq INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
  // 2: messages.action, 1 for an action ("/me waves"); the messages stored before are not.
  R"sql(
ALTER TABLE messages ADD COLUMN action INTEGER NOT NULL DEFAULT 0;
)sql",
};

static_assert(std::size(migrations) == static_cast<size_t>(schema_version),
              "one migration per schema version");

int64_t to_db(uint64_t x) { return static_cast<int64_t>(std::min(x, max_db_seq)); }

/// One open connection: the file checked, WAL mode on, the schema in place, and every statement
/// the store runs prepared once for reuse.
struct store_connection {
  sqlite::database db; // declared first, destroyed last: after its statements

  sqlite::statement begin;
  sqlite::statement commit;
  sqlite::statement room_last_seq;
  sqlite::statement set_room_last_seq;
  sqlite::statement insert;
  sqlite::statement delete_above;   ///< a room's rows with seq > ?2 (writes that failed)
  sqlite::statement lower_last_seq; ///< a room's last seq down to ?2 (writes that failed)
  sqlite::statement newest_below;   ///< newest ?3 rows with seq < ?2, newest first
  sqlite::statement all_rooms;
  sqlite::statement nth_newest;     ///< seq of the row after the newest ?2 of a room
  sqlite::statement first_young;    ///< a room's oldest seq with ts >= ?2
  sqlite::statement delete_through; ///< up to ?3 of a room's oldest rows with seq <= ?2

  /// Opens `settings.path`; throws sqlite::failure with a message fit for the operator.
  /// `check`: run PRAGMA quick_check, which reads the whole file (about 1 s per GB).
  store_connection(const store_settings& settings, bool check);
};

/// Creates the schema or brings an older one up to schema_version (see `migrations`); refuses a
/// newer one, which an older server would misread. Throws sqlite::failure.
void create_schema(sqlite::database& db) {
  // The write lock comes before the version is read: of two servers starting on one file, the
  // second waits (busy timeout) and then finds the schema up to date.
  db.exec("BEGIN IMMEDIATE");
  try {
    auto version = std::stoi(db.query_text("PRAGMA user_version"));
    if (version > schema_version)
      throw sqlite::failure(SQLITE_ERROR, "schema version " + std::to_string(version)
                                            + " is newer than this server understands ("
                                            + std::to_string(schema_version) + ")");
    if (version < 0)
      throw sqlite::failure(SQLITE_ERROR, "unknown schema version " + std::to_string(version));
    if (version < schema_version) {
      for (auto v = version; v < schema_version; ++v)
        db.exec(migrations[v]);
      db.exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
    }
    db.exec("COMMIT");
  } catch (const sqlite::failure&) {
    if (db.in_transaction()) {
      try {
        db.exec("ROLLBACK");
      } catch (const sqlite::failure&) {
        // Closing the connection (the caller's failure path) rolls back too.
      }
    }
    throw;
  }
}

store_connection::store_connection(const store_settings& settings, bool check) : db(settings.path) {
  // SQLite falls back to read-only silently when it cannot write the file.
  if (db.read_only())
    throw sqlite::failure(SQLITE_READONLY, "the database is read-only");
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  // The first statement reads the file header: a file that is no database fails here.
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (mode != "wal" && mode != "memory")
    throw sqlite::failure(SQLITE_ERROR, "cannot switch to WAL mode (journal_mode stays '" + mode
                                          + "')");
  if (check) {
    auto result = db.query_text("PRAGMA quick_check(1)");
    if (result != "ok") {
      std::replace(result.begin(), result.end(), '\n', ' ');
      throw sqlite::failure(SQLITE_CORRUPT, "the database is corrupt: " + result);
    }
  }
  db.exec(settings.sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  create_schema(db);
  begin = sqlite::statement{db, "BEGIN IMMEDIATE"};
  commit = sqlite::statement{db, "COMMIT"};
  room_last_seq = sqlite::statement{db, "SELECT last_seq FROM rooms WHERE room = ?1"};
  set_room_last_seq = sqlite::statement{db, "INSERT INTO rooms (room, last_seq) VALUES (?1, ?2) "
                                            "ON CONFLICT (room) DO UPDATE SET last_seq = ?2"};
  insert = sqlite::statement{db, "INSERT INTO messages (room, seq, sender, ts, text, action) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"};
  delete_above = sqlite::statement{db, "DELETE FROM messages WHERE room = ?1 AND seq > ?2"};
  lower_last_seq = sqlite::statement{db, "UPDATE rooms SET last_seq = ?2 "
                                         "WHERE room = ?1 AND last_seq > ?2"};
  newest_below = sqlite::statement{db, "SELECT seq, sender, ts, text, action FROM messages "
                                       "WHERE room = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"};
  all_rooms = sqlite::statement{db, "SELECT room FROM rooms ORDER BY room"};
  nth_newest = sqlite::statement{db, "SELECT seq FROM messages WHERE room = ?1 "
                                     "ORDER BY seq DESC LIMIT 1 OFFSET ?2"};
  first_young = sqlite::statement{db, "SELECT seq FROM messages WHERE room = ?1 AND ts >= ?2 "
                                      "ORDER BY seq LIMIT 1"};
  delete_through = sqlite::statement{db, "DELETE FROM messages WHERE room = ?1 AND seq IN "
                                         "(SELECT seq FROM messages WHERE room = ?1 AND seq <= ?2 "
                                         "ORDER BY seq LIMIT ?3)"};
}

/// True if a connection that reported `code` cannot be trusted with the next transaction.
bool needs_reopen(int primary_code) {
  switch (primary_code) {
    case SQLITE_READONLY: // e.g. the file was replaced or its permissions changed
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

// -- queries -------------------------------------------------------------------------------------

uint64_t last_seq(store_connection& c, const std::string& room) {
  auto rows = c.room_last_seq.query(room);
  return rows.next() ? static_cast<uint64_t>(rows.int64(0)) : 0;
}

/// Reads (seq, sender, ts, text, action) rows into messages of `room`.
std::vector<chat_message> read_messages(sqlite::statement::cursor& rows, const std::string& room) {
  std::vector<chat_message> out;
  while (rows.next())
    out.push_back(chat_message{room, static_cast<uint64_t>(rows.int64(0)), rows.text(1),
                               rows.int64(2), rows.text(3), rows.int64(4) != 0});
  return out;
}

/// The newest `limit` messages with seq < `below`, oldest first.
std::vector<chat_message> newest_below(store_connection& c, const std::string& room, uint64_t below,
                                       uint64_t limit) {
  auto rows = c.newest_below.query(room, to_db(below), to_db(limit));
  auto out = read_messages(rows, room);
  std::reverse(out.begin(), out.end());
  return out;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// -- state ---------------------------------------------------------------------------------------

/// A persist request waiting for the next group commit.
struct pending_write {
  std::vector<chat_message> batch;
  caf::typed_response_promise<uint64_t> promise;
};

/// Where a retention round is: the rooms still to visit and the current room's cutoff.
struct prune_round {
  bool active = false;
  std::vector<std::string> rooms; ///< snapshot taken when the round started
  size_t next = 0;                ///< index into rooms
  std::optional<int64_t> cutoff;  ///< delete seqs <= cutoff in rooms[next] (0: nothing)
  uint64_t deleted = 0;
};

struct store_state {
  static inline const char* name = "store";

  store_settings settings;
  std::unique_ptr<store_connection> conn; ///< null after a failure that requires a reopen
  std::vector<pending_write> pending;
  size_t pending_messages = 0;
  bool healthy = true;
  bool probe_armed = false; ///< a probe_atom is on its way
  std::string last_error; ///< of the last failed write, while unhealthy
  /// Rooms whose rows above this seq belong only to transactions that reported failure. Such
  /// rows can still be in the file (their fsync failed, the close could not checkpoint, WAL
  /// recovery brings them back on reopen); they were never acknowledged and the room gives
  /// their seqs out again, so a reopen deletes them. Cleared by the room's next commit.
  std::unordered_map<std::string, uint64_t> unacked_above;
  prune_round prune;
};

using store_pointer = store_impl_actor::stateful_pointer<store_state>;

caf::error store_error(const sqlite::failure& f) {
  return caf::make_error(caf::sec::runtime_error, "store: " + std::string{f.what()});
}

/// Deletes what failed transactions may have left in a reopened file (see unacked_above) and
/// gives their rooms back the last seq they had before. Throws sqlite::failure.
void drop_unacknowledged(store_state& st, store_connection& c) {
  if (st.unacked_above.empty())
    return;
  int64_t rows = 0;
  c.begin.exec();
  for (const auto& [room, floor] : st.unacked_above) {
    rows += c.delete_above.exec(room, to_db(floor));
    c.lower_last_seq.exec(room, to_db(floor));
  }
  c.commit.exec();
  if (rows > 0)
    log::warn("store_dropped_unacknowledged", "rows=" + std::to_string(rows));
  st.unacked_above.clear();
}

/// The connection, reopened first if a failure closed it. Throws sqlite::failure.
store_connection& connect(store_state& st) {
  if (!st.conn) {
    // No quick_check: it was done at startup, and a failing disk would pay for it on every
    // attempt. SQLite still reports corruption in the pages it reads.
    auto conn = std::make_unique<store_connection>(st.settings, false);
    drop_unacknowledged(st, *conn);
    st.conn = std::move(conn);
    log::debug("store_reopened", "path=" + log::quote(st.settings.path));
  }
  return *st.conn;
}

/// Rolls back what is left of a failed transaction, and closes a connection that can no longer
/// be trusted (reopened by the next connect). A ":memory:" database is never closed: that would
/// lose it.
void discard_failed(store_state& st, const sqlite::failure& f) {
  if (!st.conn)
    return;
  bool reopen = needs_reopen(f.primary_code());
  if (st.conn->db.in_transaction()) {
    try {
      st.conn->db.exec("ROLLBACK");
    } catch (const sqlite::failure&) {
      reopen = true; // closing rolls back
    }
  }
  if (reopen && st.settings.path != ":memory:")
    st.conn.reset();
}

void note_write_failed(store_state& st, const std::string& what, bool count = true) {
  if (auto* m = st.settings.metrics.get()) {
    if (count)
      m->store_failures.inc();
    m->store_healthy.set(0);
  }
  if (st.healthy)
    log::error("store_failed", "path=" + log::quote(st.settings.path) + " error="
                                 + log::quote(what));
  st.healthy = false;
  st.last_error = what;
}

void note_write_ok(store_state& st) {
  if (auto* m = st.settings.metrics.get())
    m->store_healthy.set(1);
  if (!st.healthy)
    log::info("store_recovered", "path=" + log::quote(st.settings.path));
  st.healthy = true;
  st.last_error.clear();
}

/// Schedules the next probe unless one is on its way.
void arm_probe(store_pointer self) {
  auto& st = self->state;
  if (st.probe_armed)
    return;
  st.probe_armed = true;
  self->delayed_send(self, probe_interval, probe_atom::value);
}

/// While unhealthy: the smallest real write (page 1 of the file, through the WAL and its fsync),
/// reopening the database first where a failure closed it. A failed probe is not counted in
/// store_commit_failures (it is no client's message), it only keeps the store unhealthy.
void probe(store_pointer self) {
  auto& st = self->state;
  st.probe_armed = false;
  if (st.healthy)
    return; // a commit succeeded meanwhile
  try {
    auto& c = connect(st);
    c.begin.exec();
    c.db.exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
    c.commit.exec();
  } catch (const sqlite::failure& f) {
    discard_failed(st, f);
    note_write_failed(st, f.what(), false);
    arm_probe(self);
    return;
  }
  note_write_ok(st);
}

// -- persisting ----------------------------------------------------------------------------------

/// Why `batch` cannot be persisted ("" if it can). Reads the room's last seq inside the current
/// transaction, so earlier batches of the same group count.
std::string check_batch(store_connection& c, const std::vector<chat_message>& batch) {
  if (batch.empty())
    return "empty batch";
  const auto& room = batch.front().room;
  for (size_t i = 1; i < batch.size(); ++i) {
    if (batch[i].room != room)
      return "a batch mixes rooms '" + room + "' and '" + batch[i].room + "'";
    if (batch[i].seq != batch[i - 1].seq + 1)
      return "seqs of room '" + room + "' are not consecutive (" + std::to_string(batch[i].seq)
             + " after " + std::to_string(batch[i - 1].seq) + ")";
  }
  if (batch.front().seq == 0 || batch.back().seq > max_db_seq)
    return "seq out of range in room '" + room + "'";
  auto last = last_seq(c, room);
  if (batch.front().seq > last)
    return {};
  return "seq " + std::to_string(batch.front().seq) + " of room '" + room
         + "' is not above its last persisted seq " + std::to_string(last);
}

/// Commits every pending persist request in one transaction, then answers each of them.
void commit_pending(store_pointer self) {
  auto& st = self->state;
  if (st.pending.empty())
    return;
  auto group = std::move(st.pending);
  auto group_messages = st.pending_messages;
  st.pending.clear();
  st.pending_messages = 0;
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> rejected(group.size());
  std::vector<std::pair<std::string, uint64_t>> floors; // (room, seq below its batch) written
  try {
    auto& c = connect(st);
    c.begin.exec();
    for (size_t i = 0; i < group.size(); ++i) {
      const auto& batch = group[i].batch;
      rejected[i] = check_batch(c, batch);
      if (!rejected[i].empty())
        continue;
      const auto& room = batch.front().room;
      floors.emplace_back(room, batch.front().seq - 1);
      for (const auto& m : batch)
        c.insert.exec(room, to_db(m.seq), m.from, m.ts, m.text, int64_t{m.action ? 1 : 0});
      c.set_room_last_seq.exec(room, to_db(batch.back().seq));
    }
    c.commit.exec();
  } catch (const sqlite::failure& f) {
    discard_failed(st, f);
    note_write_failed(st, f.what());
    arm_probe(self);
    for (auto& [room, floor] : floors) {
      auto [i, added] = st.unacked_above.emplace(room, floor);
      if (!added)
        i->second = std::min(i->second, floor);
    }
    auto err = store_error(f);
    for (auto& w : group)
      w.promise.deliver(err);
    return;
  }
  if (auto* m = st.settings.metrics.get()) {
    auto took = std::chrono::steady_clock::now() - started;
    m->store_commit_time.observe(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
    m->store_batch.observe(group_messages);
  }
  note_write_ok(st);
  for (auto& [room, floor] : floors)
    st.unacked_above.erase(room);
  for (size_t i = 0; i < group.size(); ++i) {
    if (rejected[i].empty())
      group[i].promise.deliver(group[i].batch.back().seq);
    else
      group[i].promise.deliver(caf::make_error(caf::sec::invalid_argument,
                                               "store: " + rejected[i]));
  }
}

// -- reading -------------------------------------------------------------------------------------

/// Runs `f` on the connection; a failure becomes the reply (health is about writes only).
template <class F>
auto read(store_pointer self, F f) -> caf::result<decltype(f(std::declval<store_connection&>()))> {
  auto& st = self->state;
  try {
    return f(connect(st));
  } catch (const sqlite::failure& e) {
    discard_failed(st, e);
    log::warn("store_read_failed", "path=" + log::quote(st.settings.path) + " error="
                                     + log::quote(e.what()));
    return store_error(e);
  }
}

// -- retention -----------------------------------------------------------------------------------

bool retention_enabled(const store_settings& s) {
  return (s.max_messages_per_room > 0 || s.max_age.count() > 0) && s.prune_interval.count() > 0;
}

/// The highest seq of `room` that retention deletes, 0 for none. By age, the deleted messages
/// are the room's oldest up to the first one young enough (ts follows seq, up to clock steps).
int64_t prune_cutoff(store_connection& c, const store_settings& s, const std::string& room) {
  int64_t cutoff = 0;
  if (s.max_messages_per_room > 0) {
    auto rows = c.nth_newest.query(room, to_db(s.max_messages_per_room));
    if (rows.next())
      cutoff = rows.int64(0);
  }
  if (s.max_age.count() > 0) {
    auto max_age = std::chrono::duration_cast<std::chrono::milliseconds>(s.max_age).count();
    auto rows = c.first_young.query(room, now_ms() - max_age);
    cutoff = std::max(cutoff, rows.next() ? rows.int64(0) - 1 : to_db(max_db_seq));
  }
  return cutoff;
}

void finish_prune(store_pointer self) {
  auto& round = self->state.prune;
  if (round.deleted > 0)
    log::debug("store_pruned", "rooms=" + std::to_string(round.rooms.size())
                                 + " deleted=" + std::to_string(round.deleted));
  round = prune_round{};
}

void start_prune(store_pointer self) {
  auto& st = self->state;
  if (st.prune.active)
    return;
  st.prune = prune_round{};
  try {
    auto rows = connect(st).all_rooms.query();
    while (rows.next())
      st.prune.rooms.push_back(rows.text(0));
  } catch (const sqlite::failure& f) {
    discard_failed(st, f);
    log::warn("store_prune_failed", "error=" + log::quote(f.what()));
    finish_prune(self);
    return;
  }
  st.prune.active = true;
  self->send(self, prune_step_atom::value);
}

/// Tells the store every `interval` to start a retention round. It holds the store by a weak
/// reference only: a delayed message from the store to itself would hold a strong one, keep the
/// store alive without any other handle, and make ~actor_system wait forever. Hidden (not
/// awaited at shutdown); it quits when the store goes down.
caf::behavior prune_ticker(caf::event_based_actor* self, caf::weak_actor_ptr store,
                           caf::timespan interval) {
  install_quiet_handlers(self);
  auto target = store.lock();
  if (!target) {
    self->quit();
    return {};
  }
  self->monitor(target);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  self->delayed_send(self, interval, prune_atom::value);
  return {
    [self, store, interval](prune_atom) {
      auto alive = store.lock();
      if (!alive) {
        self->quit();
        return;
      }
      caf::anon_send(caf::actor_cast<store_impl_actor>(std::move(alive)), prune_atom::value);
      self->delayed_send(self, interval, prune_atom::value);
    },
  };
}

/// One small transaction of a round: at most prune_chunk rows of one room. Between steps the
/// store serves whatever arrived meanwhile (each step is a message to itself).
void prune_step(store_pointer self) {
  auto& st = self->state;
  auto& round = st.prune;
  if (!round.active)
    return;
  try {
    if (round.next < round.rooms.size()) {
      auto& c = connect(st);
      const auto& room = round.rooms[round.next];
      if (!round.cutoff)
        round.cutoff = prune_cutoff(c, st.settings, room);
      int64_t deleted = 0;
      if (*round.cutoff > 0)
        deleted = c.delete_through.exec(room, *round.cutoff, prune_chunk);
      round.deleted += static_cast<uint64_t>(deleted);
      if (deleted < prune_chunk) {
        ++round.next;
        round.cutoff.reset();
      }
    }
  } catch (const sqlite::failure& f) {
    discard_failed(st, f);
    log::warn("store_prune_failed", "error=" + log::quote(f.what()));
    finish_prune(self);
    return;
  }
  if (round.next < round.rooms.size())
    self->send(self, prune_step_atom::value);
  else
    finish_prune(self);
}

// -- the actor -----------------------------------------------------------------------------------

store_impl_actor::behavior_type store(store_pointer self, store_settings settings,
                                     std::unique_ptr<store_connection> conn) {
  self->state.settings = std::move(settings);
  self->state.conn = std::move(conn);
  install_quiet_handlers(self);
  // Shutdown commits what is pending first: those requests are answered, not dropped.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    commit_pending(self);
    if (msg.reason)
      self->quit(msg.reason);
  });
  if (retention_enabled(self->state.settings))
    self->system().spawn<caf::hidden>(prune_ticker,
                                      caf::actor_cast<caf::weak_actor_ptr>(self->ctrl()),
                                      self->state.settings.prune_interval);
  // Every handler but persist commits the pending group first, so that reads see every
  // acknowledged write and nothing waits behind them.
  return {
    [self](persist_atom, std::vector<chat_message>& batch) -> caf::result<uint64_t> {
      auto& st = self->state;
      auto promise = self->make_response_promise<uint64_t>();
      st.pending_messages += batch.size();
      st.pending.push_back(pending_write{std::move(batch), promise});
      if (st.pending_messages >= max_group_messages || self->mailbox().empty())
        commit_pending(self);
      return promise;
    },
    [self](recover_atom, const std::string& room, uint64_t limit) -> caf::result<room_recovery> {
      commit_pending(self);
      return read(self, [&](store_connection& c) {
        room_recovery rec;
        rec.last_seq = last_seq(c, room);
        rec.recent = newest_below(c, room, max_db_seq, limit);
        return rec;
      });
    },
    [self](page_atom, const std::string& room, uint64_t before,
           uint64_t limit) -> caf::result<history_page> {
      commit_pending(self);
      return read(self, [&](store_connection& c) {
        // One row more than asked for tells whether anything older is kept.
        auto want = limit < max_db_seq ? limit + 1 : limit;
        history_page page;
        page.messages = newest_below(c, room, before == 0 ? max_db_seq : before, want);
        page.complete = page.messages.size() <= limit;
        if (!page.complete)
          page.messages.erase(page.messages.begin());
        return page;
      });
    },
    [self](health_atom) -> caf::result<bool, std::string> {
      commit_pending(self);
      auto& st = self->state;
      return {st.healthy, st.healthy ? std::string{} : st.last_error};
    },
    [self](prune_atom) {
      commit_pending(self);
      start_prune(self);
    },
    [self](prune_step_atom) {
      commit_pending(self);
      prune_step(self);
    },
    [self](probe_atom) {
      commit_pending(self);
      probe(self);
    },
  };
}

/// Creates the missing parent directories of `path`; "" on success, else why not.
std::string create_parent_directories(const std::string& path) {
  namespace fs = std::filesystem;
  if (path == ":memory:" || path.rfind("file:", 0) == 0)
    return {}; // no file, or a URI whose path SQLite resolves
  auto dir = fs::path{path}.parent_path();
  if (dir.empty())
    return {};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return "cannot create directory '" + dir.string() + "': " + ec.message();
  return {};
}

} // namespace

store_actor spawn_store(caf::actor_system& sys, const store_settings& settings,
                        std::string& error) {
  error.clear();
  if (settings.path.empty()) {
    error = "chat.store-path: empty path";
    return {};
  }
  if (auto why = create_parent_directories(settings.path); !why.empty()) {
    error = "chat.store-path: " + why;
    return {};
  }
  std::unique_ptr<store_connection> conn;
  try {
    conn = std::make_unique<store_connection>(settings, true);
  } catch (const sqlite::failure& f) {
    error = "chat.store-path: cannot open '" + settings.path + "': " + f.what();
    return {};
  }
  log::info("store_opened", "path=" + log::quote(settings.path) + " synchronous="
                              + (settings.sync_full ? "full" : "normal"));
  if (settings.detached)
    return sys.spawn<caf::detached>(store, settings, std::move(conn));
  return sys.spawn(store, settings, std::move(conn));
}

} // namespace actorchat
