#define CAF_SUITE store
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/store.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/test/dsl.hpp>

using namespace actorchat;

namespace {

// -- a VFS that injects faults -------------------------------------------------------------------
//
// Permissions cannot make a file read-only for root, so failures are injected one layer below
// SQLite instead: this VFS wraps the default one ("unix"), is registered as the default, and
// lets a test fail the writes or fsyncs of database and WAL files with a chosen SQLite code, as
// a full disk or a failing device would. It also counts fsyncs of WAL files (one per commit
// with synchronous=FULL) and opens of main database files (a reopen shows up there).
namespace fault {

std::atomic<int> write_error{0}; ///< returned by xWrite of database and WAL files; 0 = none
std::atomic<int> sync_error{0};  ///< returned by xSync of database and WAL files (after the count)
std::atomic<int> wal_syncs{0};
std::atomic<int> db_opens{0};

void clear() {
  write_error = 0;
  sync_error = 0;
}

/// Our file object; the wrapped VFS's file object follows it in the same allocation.
struct file {
  sqlite3_file base;
  sqlite3_file* real;
  int flags;
};

sqlite3_vfs* inner = nullptr;
sqlite3_vfs vfs;
sqlite3_io_methods methods;

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<file*>(f)->real; }

bool is_data(sqlite3_file* f) {
  return (reinterpret_cast<file*>(f)->flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0;
}

int x_close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
int x_read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xRead(real(f), p, n, off);
}
int x_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  if (int rc = write_error.load(); rc != 0 && is_data(f))
    return rc;
  return real(f)->pMethods->xWrite(real(f), p, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  if ((reinterpret_cast<file*>(f)->flags & SQLITE_OPEN_WAL) != 0)
    ++wal_syncs;
  if (int rc = sync_error.load(); rc != 0 && is_data(f))
    return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), off, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), off, p);
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* self = reinterpret_cast<file*>(f);
  self->real = reinterpret_cast<sqlite3_file*>(self + 1);
  self->flags = flags;
  int rc = inner->xOpen(inner, name, self->real, flags, out_flags);
  self->base.pMethods = self->real->pMethods != nullptr ? &methods : nullptr;
  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_MAIN_DB) != 0)
    ++db_opens;
  return rc;
}
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return inner->xDelete(inner, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return inner->xAccess(inner, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return inner->xFullPathname(inner, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return inner->xDlOpen(inner, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { inner->xDlError(inner, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* lib, const char* sym))(void) {
  return inner->xDlSym(inner, lib, sym);
}
void x_dl_close(sqlite3_vfs*, void* lib) { inner->xDlClose(inner, lib); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return inner->xRandomness(inner, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return inner->xSleep(inner, us); }
int x_current_time(sqlite3_vfs*, double* out) { return inner->xCurrentTime(inner, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) { return inner->xGetLastError(inner, n, out); }
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return inner->xCurrentTimeInt64(inner, out);
}

/// Makes this VFS the process default (once); every database opened later goes through it.
void install() {
  static bool done = false;
  if (done)
    return;
  done = true;
  inner = sqlite3_vfs_find(nullptr);
  methods = sqlite3_io_methods{3,           x_close,          x_read,
                               x_write,     x_truncate,       x_sync,
                               x_file_size, x_lock,           x_unlock,
                               x_check_reserved_lock,         x_file_control,
                               x_sector_size, x_device_characteristics,
                               x_shm_map,   x_shm_lock,       x_shm_barrier,
                               x_shm_unmap, x_fetch,          x_unfetch};
  vfs = sqlite3_vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(sizeof(file)) + inner->szOsFile;
  vfs.mxPathname = inner->mxPathname;
  vfs.zName = "actorchat-fault";
  vfs.xOpen = x_open;
  vfs.xDelete = x_delete;
  vfs.xAccess = x_access;
  vfs.xFullPathname = x_full_pathname;
  vfs.xDlOpen = x_dl_open;
  vfs.xDlError = x_dl_error;
  vfs.xDlSym = x_dl_sym;
  vfs.xDlClose = x_dl_close;
  vfs.xRandomness = x_randomness;
  vfs.xSleep = x_sleep;
  vfs.xCurrentTime = x_current_time;
  vfs.xGetLastError = x_get_last_error;
  vfs.xCurrentTimeInt64 = x_current_time_int64;
  sqlite3_vfs_register(&vfs, 1);
}

} // namespace fault

// -- helpers -------------------------------------------------------------------------------------

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// `count` messages of `room` with seqs from `first`, texts "<room>-<seq><suffix>".
std::vector<chat_message> batch(const std::string& room, uint64_t first, size_t count,
                                const std::string& suffix = "", int64_t ts = now_ms()) {
  std::vector<chat_message> out;
  for (size_t i = 0; i < count; ++i) {
    auto seq = first + i;
    out.push_back(chat_message{room, seq, "alice", ts, room + "-" + std::to_string(seq) + suffix});
  }
  return out;
}

std::vector<uint64_t> seqs(const std::vector<chat_message>& msgs) {
  std::vector<uint64_t> out;
  for (auto& m : msgs)
    out.push_back(m.seq);
  return out;
}

/// first, first + 1, ..., last
std::vector<uint64_t> seq_range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (auto i = first; i <= last; ++i)
    out.push_back(i);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Runs `sql` (one or more statements) on the database file `path` with a connection of its own,
/// as another program (or an older actorchat) would.
void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  CAF_REQUIRE_EQUAL(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK)
    CAF_ERROR("sql failed: " << (message ? message : "?") << " in: " << sql);
  sqlite3_free(message);
  sqlite3_close(db);
}

/// The first column of the rows of `sql` on the database file `path`, as text.
std::vector<std::string> query_column(const std::string& path, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  CAF_REQUIRE_EQUAL(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  CAF_REQUIRE_EQUAL(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    out.emplace_back(text ? text : "");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

/// PRAGMA user_version of the database file `path`.
std::string user_version(const std::string& path) {
  auto rows = query_column(path, "PRAGMA user_version");
  return rows.empty() ? std::string{} : rows.front();
}

/// The schema of version 1 exactly as the first actorchat created it (PRAGMA user_version = 1).
constexpr const char* schema_v1_sql = R"sql(
PRAGMA journal_mode = WAL;
BEGIN IMMEDIATE;
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
PRAGMA user_version = 1;
COMMIT;
)sql";

/// How many values `h` observed, by value: CAF_CHECK_EQUAL keeps references to its arguments,
/// which must not point into a temporary snapshot.
uint64_t observations(const histogram& h) {
  return h.read().cumulative.back();
}

/// A store on the deterministic test scheduler in a fresh temp directory, asked one request at
/// a time (or several queued at once where a test says so).
struct fixture : test_coordinator_fixture<> {
  std::filesystem::path dir;
  store_settings settings;
  store_actor store;

  fixture() {
    fault::install();
    fault::clear();
    char tmpl[] = "/tmp/actorchat-store-test-XXXXXX";
    CAF_REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    settings.path = ":memory:";
    settings.detached = false; // on the test scheduler: every step is deterministic
    settings.prune_interval = std::chrono::seconds(1);
  }

  ~fixture() {
    close();
    fault::clear();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  std::string file(const std::string& name = "chat.db") { return (dir / name).string(); }

  /// Spawns the store on `settings`; returns spawn_store's error ("" on success).
  std::string open() {
    std::string error;
    store = spawn_store(sys, settings, error);
    sched.run();
    CAF_CHECK_EQUAL(static_cast<bool>(store), error.empty());
    return error;
  }

  /// Stops the store (it commits what is pending) and waits until it closed the database.
  void close() {
    if (!store)
      return;
    anon_send_exit(store, caf::exit_reason::user_shutdown);
    sched.run();
    store = nullptr;
  }

  /// The reply to request `rh`, which must be in the mailbox already (after sched.run()).
  template <class T, class Handle>
  caf::expected<T> take(Handle rh) {
    CAF_REQUIRE(self->has_next_message()); // receive() would block forever otherwise
    std::optional<caf::expected<T>> out;
    std::move(rh).receive([&](T& x) { out = std::move(x); },
                          [&](caf::error& err) { out = std::move(err); });
    CAF_REQUIRE(out.has_value());
    return std::move(*out);
  }

  template <class T, class... Ts>
  caf::expected<T> ask(const Ts&... xs) {
    auto rh = self->request(store, caf::infinite, xs...);
    sched.run();
    return take<T>(std::move(rh));
  }

  caf::expected<uint64_t> persist(const std::vector<chat_message>& msgs) {
    return ask<uint64_t>(persist_atom::value, msgs);
  }

  room_recovery recover(const std::string& room, uint64_t limit = 1000) {
    auto res = ask<room_recovery>(recover_atom::value, room, limit);
    CAF_REQUIRE(res);
    return std::move(*res);
  }

  history_page page(const std::string& room, uint64_t before, uint64_t limit) {
    auto res = ask<history_page>(page_atom::value, room, before, limit);
    CAF_REQUIRE(res);
    return std::move(*res);
  }


  std::pair<bool, std::string> health() {
    auto rh = self->request(store, caf::infinite, health_atom::value);
    sched.run();
    CAF_REQUIRE(self->has_next_message());
    std::pair<bool, std::string> out{false, "no reply"};
    std::move(rh).receive([&](bool ok, std::string& text) { out = {ok, std::move(text)}; },
                          [&](caf::error& err) { out = {false, to_string(err)}; });
    return out;
  }

  /// The text of a failed reply.
  std::string error_text(const caf::error& err) { return sys.render(err); }

  /// Fires the retention ticker and runs the whole round.
  void prune() {
    sched.advance_time(settings.prune_interval);
    sched.run();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(store_tests, fixture)

// -- persist and recover -------------------------------------------------------------------------

CAF_TEST(persisted messages come back from recover) {
  CAF_REQUIRE_EQUAL(open(), "");
  auto sent = batch("lobby", 1, 3);
  CAF_CHECK_EQUAL(persist(sent), uint64_t{3});
  CAF_CHECK_EQUAL(persist(batch("dev", 1, 1)), uint64_t{1});
  auto rec = recover("lobby");
  CAF_CHECK_EQUAL(rec.last_seq, 3u);
  CAF_REQUIRE_EQUAL(rec.recent.size(), 3u);
  CAF_CHECK_EQUAL(seqs(rec.recent), seq_range(1, 3));
  auto& m = rec.recent[1];
  CAF_CHECK_EQUAL(m.room, "lobby");
  CAF_CHECK_EQUAL(m.from, "alice");
  CAF_CHECK_EQUAL(m.text, "lobby-2");
  CAF_CHECK_EQUAL(m.ts, sent[1].ts);
  CAF_CHECK_EQUAL(seqs(recover("lobby", 2).recent), seq_range(2, 3));
  CAF_CHECK_EQUAL(recover("dev").last_seq, 1u);
  auto none = recover("nowhere");
  CAF_CHECK_EQUAL(none.last_seq, 0u);
  CAF_CHECK(none.recent.empty());
  CAF_CHECK(recover("lobby", 0).recent.empty());
}

CAF_TEST(text is stored verbatim) {
  CAF_REQUIRE_EQUAL(open(), "");
  std::string odd = "line\nbreak \"quotes\" 'single' \\ emoji \xF0\x9F\x98\x80 nul-free";
  auto msgs = batch("lobby", 1, 2);
  msgs[0].text = odd;
  msgs[1].text = "";
  msgs[1].from = "";
  CAF_CHECK_EQUAL(persist(msgs), uint64_t{2});
  auto rec = recover("lobby");
  CAF_REQUIRE_EQUAL(rec.recent.size(), 2u);
  CAF_CHECK_EQUAL(rec.recent[0].text, odd);
  CAF_CHECK_EQUAL(rec.recent[1].text, "");
  CAF_CHECK_EQUAL(rec.recent[1].from, "");
}

CAF_TEST(an action survives a commit and comes back from recover and page) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  auto msgs = batch("lobby", 1, 3);
  msgs[1].action = true;
  CAF_CHECK_EQUAL(persist(msgs), uint64_t{3});
  auto check = [](const std::vector<chat_message>& got) {
    CAF_REQUIRE_EQUAL(got.size(), 3u);
    CAF_CHECK(!got[0].action);
    CAF_CHECK(got[1].action);
    CAF_CHECK_EQUAL(got[1].text, "lobby-2");
    CAF_CHECK(!got[2].action);
  };
  check(recover("lobby").recent);
  check(page("lobby", 0, 10).messages);
  // And after a restart, from the file.
  close();
  CAF_REQUIRE_EQUAL(open(), "");
  check(recover("lobby").recent);
  check(page("lobby", 4, 10).messages);
  CAF_CHECK_EQUAL(query_column(file(), "SELECT action FROM messages ORDER BY seq"),
                  (std::vector<std::string>{"0", "1", "0"}));
}

CAF_TEST(an action survives in a memory database too) {
  CAF_REQUIRE_EQUAL(open(), "");
  auto msgs = batch("lobby", 1, 2);
  msgs[0].action = true;
  CAF_CHECK_EQUAL(persist(msgs), uint64_t{2});
  auto p = page("lobby", 0, 10);
  CAF_REQUIRE_EQUAL(p.messages.size(), 2u);
  CAF_CHECK(p.messages[0].action);
  CAF_CHECK(!p.messages[1].action);
}

CAF_TEST(a file database keeps messages and seqs across a restart) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("lobby", 1, 3)), uint64_t{3});
  CAF_CHECK_EQUAL(persist(batch("dev", 1, 2)), uint64_t{2});
  close();
  CAF_REQUIRE_EQUAL(open(), "");
  auto rec = recover("lobby");
  CAF_CHECK_EQUAL(rec.last_seq, 3u);
  CAF_CHECK_EQUAL(seqs(rec.recent), seq_range(1, 3));
  CAF_CHECK_EQUAL(rec.recent[2].text, "lobby-3");
  CAF_CHECK_EQUAL(recover("dev").last_seq, 2u);
  // The next seq continues; an old one is refused.
  CAF_CHECK_EQUAL(persist(batch("lobby", 4, 1)), uint64_t{4});
  auto dup = persist(batch("lobby", 2, 1));
  CAF_REQUIRE(!dup);
  CAF_CHECK(contains(error_text(dup.error()), "not above its last persisted seq 4"));
}

CAF_TEST(the file is in WAL mode) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("lobby", 1, 1)), uint64_t{1});
  sqlite3* db = nullptr;
  CAF_REQUIRE_EQUAL(sqlite3_open_v2(file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
                    SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  CAF_REQUIRE_EQUAL(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  CAF_REQUIRE_EQUAL(sqlite3_step(stmt), SQLITE_ROW);
  CAF_CHECK_EQUAL(std::string{reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))}, "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

CAF_TEST(shutdown commits pending writes before the store exits) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  // The exit message waits behind the persist request: the store has not committed yet when
  // it gets the exit, and must commit and answer first.
  auto rh = self->request(store, caf::infinite, persist_atom::value, batch("lobby", 1, 2));
  anon_send_exit(store, caf::exit_reason::user_shutdown);
  sched.run();
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(rh)), uint64_t{2});
  store = nullptr;
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(recover("lobby").last_seq, 2u);
}

CAF_TEST(the store goes away with its last handle even with retention on) {
  // The retention ticker holds the store only weakly: without it, a pending timer message would
  // keep the store alive and ~actor_system would wait forever for it.
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("lobby", 1, 1)), uint64_t{1});
  CAF_CHECK(std::filesystem::exists(settings.path + "-wal"));
  store = nullptr;
  sched.run();
  // The last connection closed: SQLite checkpointed and removed the WAL.
  CAF_CHECK(!std::filesystem::exists(settings.path + "-wal"));
  sched.advance_time(settings.prune_interval); // the ticker notices and quits
  sched.run();
}

// -- group commit --------------------------------------------------------------------------------
//
// Measured with the fault VFS's fsync counter on the WAL: with synchronous=FULL every commit
// syncs the WAL, so "as many fsyncs as one lone commit" means "one transaction".

CAF_TEST(queued persist requests share one transaction) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("warmup", 1, 1)), uint64_t{1});
  auto before = fault::wal_syncs.load();
  CAF_CHECK_EQUAL(persist(batch("warmup", 2, 1)), uint64_t{2});
  auto per_commit = fault::wal_syncs.load() - before;
  CAF_REQUIRE(per_commit >= 1);
  // Five requests for three rooms are in the mailbox before the store runs.
  before = fault::wal_syncs.load();
  auto r1 = self->request(store, caf::infinite, persist_atom::value, batch("a", 1, 2));
  auto r2 = self->request(store, caf::infinite, persist_atom::value, batch("b", 1, 1));
  auto r3 = self->request(store, caf::infinite, persist_atom::value, batch("a", 3, 3));
  auto r4 = self->request(store, caf::infinite, persist_atom::value, batch("c", 1, 1));
  auto r5 = self->request(store, caf::infinite, persist_atom::value, batch("b", 2, 1));
  sched.run();
  CAF_CHECK_EQUAL(fault::wal_syncs.load() - before, per_commit);
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r1)), uint64_t{2});
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r2)), uint64_t{1});
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r3)), uint64_t{5});
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r4)), uint64_t{1});
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r5)), uint64_t{2});
  CAF_CHECK_EQUAL(seqs(recover("a").recent), seq_range(1, 5));
  CAF_CHECK_EQUAL(seqs(recover("b").recent), seq_range(1, 2));
  // The same requests one at a time: one transaction each.
  before = fault::wal_syncs.load();
  for (uint64_t seq = 3; seq < 8; ++seq)
    CAF_CHECK_EQUAL(persist(batch("b", seq, 1)), seq);
  CAF_CHECK_EQUAL(fault::wal_syncs.load() - before, 5 * per_commit);
}

CAF_TEST(a group commit closes at 1024 messages under sustained load) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("warmup", 1, 1)), uint64_t{1});
  auto before = fault::wal_syncs.load();
  CAF_CHECK_EQUAL(persist(batch("warmup", 2, 1)), uint64_t{2});
  auto per_commit = fault::wal_syncs.load() - before;
  // 600 pending, then 1200 >= 1024: commit; the last 600 find the mailbox empty: commit.
  before = fault::wal_syncs.load();
  auto r1 = self->request(store, caf::infinite, persist_atom::value, batch("a", 1, 600));
  auto r2 = self->request(store, caf::infinite, persist_atom::value, batch("a", 601, 600));
  auto r3 = self->request(store, caf::infinite, persist_atom::value, batch("a", 1201, 600));
  sched.run();
  CAF_CHECK_EQUAL(fault::wal_syncs.load() - before, 2 * per_commit);
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r1)), uint64_t{600});
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r2)), uint64_t{1200});
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(r3)), uint64_t{1800});
}

CAF_TEST(a read sees the writes queued before it) {
  CAF_REQUIRE_EQUAL(open(), "");
  auto w = self->request(store, caf::infinite, persist_atom::value, batch("lobby", 1, 2));
  auto r = self->request(store, caf::infinite, recover_atom::value, std::string{"lobby"},
                         uint64_t{10});
  sched.run();
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(w)), uint64_t{2});
  auto rec = take<room_recovery>(std::move(r));
  CAF_REQUIRE(rec);
  CAF_CHECK_EQUAL(rec->last_seq, 2u);
  CAF_CHECK_EQUAL(seqs(rec->recent), seq_range(1, 2));
}

CAF_TEST(an invalid batch is refused alone) {
  CAF_REQUIRE_EQUAL(open(), "");
  auto mixed = batch("a", 10, 2);
  mixed[1].room = "b";
  auto gap = batch("a", 10, 2);
  gap[1].seq = 12;
  auto good1 = self->request(store, caf::infinite, persist_atom::value, batch("a", 1, 2));
  auto overlap = self->request(store, caf::infinite, persist_atom::value, batch("a", 2, 2));
  auto bad_mix = self->request(store, caf::infinite, persist_atom::value, mixed);
  auto bad_gap = self->request(store, caf::infinite, persist_atom::value, gap);
  auto empty = self->request(store, caf::infinite, persist_atom::value,
                             std::vector<chat_message>{});
  auto zero = self->request(store, caf::infinite, persist_atom::value, batch("c", 0, 1));
  auto good2 = self->request(store, caf::infinite, persist_atom::value, batch("a", 3, 1));
  sched.run();
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(good1)), uint64_t{2});
  for (auto* rh : {&overlap, &bad_mix, &bad_gap, &empty, &zero}) {
    auto res = take<uint64_t>(std::move(*rh));
    CAF_REQUIRE(!res);
    CAF_CHECK_EQUAL(res.error(), caf::sec::invalid_argument);
  }
  CAF_CHECK_EQUAL(take<uint64_t>(std::move(good2)), uint64_t{3});
  CAF_CHECK_EQUAL(seqs(recover("a").recent), seq_range(1, 3));
  CAF_CHECK_EQUAL(recover("b").last_seq, 0u);
  CAF_CHECK_EQUAL(health(), std::make_pair(true, std::string{}));
}

// -- page ----------------------------------------------------------------------------------

CAF_TEST(page walks back from the newest message) {
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("lobby", 1, 10)), uint64_t{10});
  auto p = page("lobby", 0, 3);
  CAF_CHECK_EQUAL(seqs(p.messages), seq_range(8, 10));
  CAF_CHECK(!p.complete);
  p = page("lobby", 8, 3);
  CAF_CHECK_EQUAL(seqs(p.messages), seq_range(5, 7));
  CAF_CHECK(!p.complete);
  p = page("lobby", 4, 3); // exactly the rest
  CAF_CHECK_EQUAL(seqs(p.messages), seq_range(1, 3));
  CAF_CHECK(p.complete);
  p = page("lobby", 5, 10); // fewer than asked for
  CAF_CHECK_EQUAL(seqs(p.messages), seq_range(1, 4));
  CAF_CHECK(p.complete);
  p = page("lobby", 0, 0);
  CAF_CHECK(p.messages.empty());
  CAF_CHECK(!p.complete);
  p = page("lobby", 1, 5); // nothing before the first message
  CAF_CHECK(p.messages.empty());
  CAF_CHECK(p.complete);
  p = page("nowhere", 0, 5);
  CAF_CHECK(p.messages.empty());
  CAF_CHECK(p.complete);
}

// -- retention -----------------------------------------------------------------------------------

CAF_TEST(retention keeps the newest messages of each room) {
  settings.max_messages_per_room = 3;
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 10)), uint64_t{10});
  CAF_CHECK_EQUAL(persist(batch("b", 1, 2)), uint64_t{2});
  prune();
  auto rec = recover("a");
  CAF_CHECK_EQUAL(rec.last_seq, 10u);
  CAF_CHECK_EQUAL(seqs(rec.recent), seq_range(8, 10));
  CAF_CHECK_EQUAL(seqs(recover("b").recent), seq_range(1, 2));
  // Scrollback ends at the oldest kept message.
  auto p = page("a", 0, 10);
  CAF_CHECK_EQUAL(seqs(p.messages), seq_range(8, 10));
  CAF_CHECK(p.complete);
  // The timer runs again: new messages are pruned on the next round.
  CAF_CHECK_EQUAL(persist(batch("a", 11, 2)), uint64_t{12});
  prune();
  CAF_CHECK_EQUAL(seqs(recover("a").recent), seq_range(10, 12));
}

CAF_TEST(retention by age empties a room without lowering its last seq) {
  settings.max_messages_per_room = 0;
  settings.max_age = std::chrono::hours(1);
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  auto two_hours_ago = now_ms() - 2 * 3600 * 1000;
  CAF_CHECK_EQUAL(persist(batch("old", 1, 5, "", two_hours_ago)), uint64_t{5});
  CAF_CHECK_EQUAL(persist(batch("mixed", 1, 3, "", two_hours_ago)), uint64_t{3});
  CAF_CHECK_EQUAL(persist(batch("mixed", 4, 2)), uint64_t{5});
  prune();
  auto rec = recover("old");
  CAF_CHECK_EQUAL(rec.last_seq, 5u);
  CAF_CHECK(rec.recent.empty());
  CAF_CHECK_EQUAL(seqs(recover("mixed").recent), seq_range(4, 5));
  // Every message of "old" is gone: scrollback finds nothing and says it reached the start.
  auto p = page("old", 0, 10);
  CAF_CHECK(p.messages.empty());
  CAF_CHECK(p.complete);
  // Seqs go on from 5 after a restart too; 5 itself is never given out again.
  close();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(recover("old").last_seq, 5u);
  CAF_CHECK(!persist(batch("old", 5, 1)));
  CAF_CHECK_EQUAL(persist(batch("old", 6, 1)), uint64_t{6});
}

CAF_TEST(retention deletes in small transactions and serves requests in between) {
  settings.max_messages_per_room = 1;
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 2500)), uint64_t{2500});
  sched.advance_time(settings.prune_interval);
  sched.run_once(); // the ticker
  sched.run_once(); // a round starts
  sched.run_once(); // the first chunk: 1000 rows
  // A read queued now is served after the next chunk, before the last one.
  auto rh = self->request(store, caf::infinite, recover_atom::value, std::string{"a"},
                          uint64_t{5000});
  sched.run_once(); // the second chunk
  sched.run_once(); // the read
  auto rec = take<room_recovery>(std::move(rh));
  CAF_REQUIRE(rec);
  CAF_CHECK_EQUAL(rec->recent.size(), 500u);
  sched.run();
  auto after = recover("a", 5000);
  CAF_CHECK_EQUAL(after.last_seq, 2500u);
  CAF_CHECK_EQUAL(seqs(after.recent), seq_range(2500, 2500));
}

// -- failures ------------------------------------------------------------------------------------

CAF_TEST(a full disk fails the whole group and the store recovers when space is back) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 1)), uint64_t{1});
  auto opens = fault::db_opens.load();
  fault::write_error = SQLITE_FULL;
  auto r1 = self->request(store, caf::infinite, persist_atom::value, batch("a", 2, 1, "-lost"));
  auto r2 = self->request(store, caf::infinite, persist_atom::value, batch("b", 1, 1, "-lost"));
  sched.run();
  for (auto* rh : {&r1, &r2}) {
    auto res = take<uint64_t>(std::move(*rh));
    CAF_REQUIRE(!res);
    CAF_CHECK_EQUAL(res.error(), caf::sec::runtime_error);
    CAF_CHECK(contains(error_text(res.error()), "store: database or disk is full"));
  }
  auto h = health();
  CAF_CHECK(!h.first);
  CAF_CHECK_EQUAL(h.second, "database or disk is full");
  // Reads still work; nothing of the failed group is there.
  CAF_CHECK_EQUAL(recover("a").last_seq, 1u);
  CAF_CHECK_EQUAL(recover("b").last_seq, 0u);
  // Space is back: the room retries with the same seq.
  fault::clear();
  CAF_CHECK_EQUAL(persist(batch("a", 2, 1, "-retry")), uint64_t{2});
  CAF_CHECK_EQUAL(health(), std::make_pair(true, std::string{}));
  auto rec = recover("a");
  CAF_CHECK_EQUAL(seqs(rec.recent), seq_range(1, 2));
  CAF_CHECK_EQUAL(rec.recent[1].text, "a-2-retry");
  CAF_CHECK_EQUAL(fault::db_opens.load(), opens); // SQLITE_FULL keeps the connection
}

CAF_TEST(commits and failures are counted and health follows the last commit) {
  auto m = std::make_shared<metrics>();
  settings.path = file();
  settings.metrics = m;
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 3)), uint64_t{3});
  auto first = m->store_batch.read();
  CAF_CHECK_EQUAL(first.cumulative.back(), 1u); // one commit
  CAF_CHECK_EQUAL(first.sum, 3u);               // of three messages
  CAF_CHECK_EQUAL(observations(m->store_commit_time), 1u);
  CAF_CHECK_EQUAL(m->store_healthy.value(), 1);
  fault::write_error = SQLITE_FULL;
  CAF_CHECK(!persist(batch("a", 4, 1)));
  CAF_CHECK_EQUAL(m->store_healthy.value(), 0);
  CAF_CHECK_EQUAL(m->store_failures.value(), 1u);
  CAF_CHECK_EQUAL(observations(m->store_batch), 1u); // failures are not observed
  fault::clear();
  CAF_CHECK_EQUAL(persist(batch("a", 4, 1)), uint64_t{4});
  CAF_CHECK_EQUAL(m->store_healthy.value(), 1);
  CAF_CHECK_EQUAL(observations(m->store_batch), 2u);
}

CAF_TEST(an unhealthy store probes by itself and recovers without traffic) {
  auto m = std::make_shared<metrics>();
  settings.path = file();
  settings.metrics = m;
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 1)), uint64_t{1});
  fault::write_error = SQLITE_IOERR_WRITE;
  CAF_CHECK(!persist(batch("a", 2, 1, "-lost")));
  CAF_CHECK_EQUAL(m->store_healthy.value(), 0);
  CAF_CHECK_EQUAL(m->store_failures.value(), 1u);
  // While the disk still fails, each probe fails too: still unhealthy, and a probe is no
  // client's commit, so the failure counter stays.
  auto opens = fault::db_opens.load();
  for (int i = 0; i < 3; ++i) {
    sched.advance_time(std::chrono::seconds(2));
    sched.run();
    CAF_CHECK_EQUAL(m->store_healthy.value(), 0);
  }
  CAF_CHECK_EQUAL(m->store_failures.value(), 1u);
  CAF_CHECK(fault::db_opens.load() > opens); // each probe tried to reopen
  // The disk is back; nobody writes, and yet the store is healthy again after one interval.
  fault::clear();
  sched.advance_time(std::chrono::seconds(2));
  sched.run();
  CAF_CHECK_EQUAL(m->store_healthy.value(), 1);
  CAF_CHECK_EQUAL(health(), std::make_pair(true, std::string{}));
  CAF_CHECK_EQUAL(persist(batch("a", 2, 1, "-retry")), uint64_t{2});
  CAF_CHECK_EQUAL(m->store_failures.value(), 1u);
}

CAF_TEST(an IO error reopens the database before the next attempt) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 1)), uint64_t{1});
  auto opens = fault::db_opens.load();
  fault::write_error = SQLITE_IOERR_WRITE;
  auto res = persist(batch("a", 2, 1, "-lost"));
  CAF_REQUIRE(!res);
  CAF_CHECK(contains(error_text(res.error()), "store: disk I/O error"));
  CAF_CHECK(!health().first);
  // While the device fails, every attempt fails (and tries to reopen).
  CAF_CHECK(!persist(batch("a", 2, 1, "-lost")));
  fault::clear();
  CAF_CHECK_EQUAL(persist(batch("a", 2, 1, "-retry")), uint64_t{2});
  CAF_CHECK(fault::db_opens.load() > opens);
  CAF_CHECK_EQUAL(health(), std::make_pair(true, std::string{}));
  auto rec = recover("a");
  CAF_CHECK_EQUAL(seqs(rec.recent), seq_range(1, 2));
  CAF_CHECK_EQUAL(rec.recent[1].text, "a-2-retry");
}

CAF_TEST(a commit whose fsync failed never blocks the retry of its seqs) {
  // The WAL frames reach the file but their fsync fails: the commit is reported as failed,
  // the close cannot checkpoint, and WAL recovery on reopen would bring the transaction back
  // (it does with SQLite 3.40). The room gives the same seqs to new messages: the reopen must
  // drop the unacknowledged rows, so that no reader sees them and the retry is taken.
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 1)), uint64_t{1});
  fault::sync_error = SQLITE_IOERR_FSYNC;
  auto res = persist(batch("a", 2, 2, "-unacknowledged"));
  CAF_REQUIRE(!res);
  CAF_CHECK(contains(error_text(res.error()), "store: disk I/O error"));
  fault::clear();
  auto back = recover("a"); // reopens
  CAF_CHECK_EQUAL(back.last_seq, 1u);
  CAF_CHECK_EQUAL(seqs(back.recent), seq_range(1, 1));
  CAF_CHECK_EQUAL(persist(batch("a", 2, 1, "-retry")), uint64_t{2});
  auto rec = recover("a");
  CAF_CHECK_EQUAL(rec.last_seq, 2u);
  CAF_CHECK_EQUAL(seqs(rec.recent), seq_range(1, 2));
  CAF_CHECK_EQUAL(rec.recent[1].text, "a-2-retry");
  CAF_CHECK_EQUAL(persist(batch("a", 3, 1)), uint64_t{3});
  // Once the room committed again, old seqs are refused as usual.
  CAF_CHECK(!persist(batch("a", 3, 1)));
}

// -- schema --------------------------------------------------------------------------------------

CAF_TEST(a new database is created at schema version 2) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  close();
  CAF_CHECK_EQUAL(user_version(file()), "2");
  CAF_CHECK_EQUAL(query_column(file(), "SELECT name FROM pragma_table_info('messages')"),
                  (std::vector<std::string>{"room", "seq", "sender", "ts", "text", "action"}));
}

CAF_TEST(a version 1 database migrates to version 2 and keeps its rows) {
  settings.path = file();
  exec_sql(file(), schema_v1_sql);
  exec_sql(file(), "INSERT INTO messages VALUES ('lobby', 1, 'ana', 1700000000001, 'one');"
                   "INSERT INTO messages VALUES ('lobby', 2, 'bob', 1700000000002, 'two');"
                   "INSERT INTO messages VALUES ('dev', 7, 'ana', 1700000000003, 'seven');"
                   "INSERT INTO rooms VALUES ('lobby', 2), ('dev', 9);");
  CAF_REQUIRE_EQUAL(user_version(file()), "1");
  CAF_REQUIRE_EQUAL(open(), "");
  // Every old row is there, and none of them is an action.
  auto rec = recover("lobby");
  CAF_CHECK_EQUAL(rec.last_seq, 2u);
  CAF_REQUIRE_EQUAL(rec.recent.size(), 2u);
  CAF_CHECK_EQUAL(rec.recent[0].from, "ana");
  CAF_CHECK_EQUAL(rec.recent[0].ts, 1700000000001);
  CAF_CHECK_EQUAL(rec.recent[0].text, "one");
  CAF_CHECK_EQUAL(rec.recent[1].text, "two");
  CAF_CHECK(!rec.recent[0].action);
  CAF_CHECK(!rec.recent[1].action);
  auto dev = recover("dev");
  CAF_CHECK_EQUAL(dev.last_seq, 9u);
  CAF_CHECK_EQUAL(seqs(dev.recent), seq_range(7, 7));
  // Seqs go on from the old ones, and new messages may be actions.
  auto next = batch("lobby", 3, 1);
  next[0].action = true;
  CAF_CHECK_EQUAL(persist(next), uint64_t{3});
  CAF_CHECK(!persist(batch("dev", 9, 1)));
  auto p = page("lobby", 0, 10);
  CAF_CHECK_EQUAL(seqs(p.messages), seq_range(1, 3));
  CAF_REQUIRE_EQUAL(p.messages.size(), 3u);
  CAF_CHECK(!p.messages[1].action);
  CAF_CHECK(p.messages[2].action);
  close();
  CAF_CHECK_EQUAL(user_version(file()), "2");
  CAF_CHECK_EQUAL(query_column(file(), "SELECT action FROM messages WHERE room = 'lobby' "
                                       "ORDER BY seq"),
                  (std::vector<std::string>{"0", "0", "1"}));
  // Opened again, the migrated file is left as it is.
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(seqs(recover("lobby").recent), seq_range(1, 3));
  close();
  CAF_CHECK_EQUAL(user_version(file()), "2");
}

CAF_TEST(a migration that fails leaves the version 1 database as it was) {
  settings.path = file();
  exec_sql(file(), schema_v1_sql);
  exec_sql(file(), "INSERT INTO messages VALUES ('lobby', 1, 'ana', 1, 'one');"
                   "INSERT INTO rooms VALUES ('lobby', 1);");
  fault::write_error = SQLITE_FULL; // the migration's commit cannot be written
  auto error = open();
  CAF_CHECK(contains(error, "chat.store-path: cannot open '" + file() + "': "));
  CAF_CHECK(contains(error, "full"));
  CAF_MESSAGE("failed migration: " << error);
  fault::clear();
  CAF_CHECK_EQUAL(user_version(file()), "1");
  CAF_CHECK_EQUAL(query_column(file(), "SELECT name FROM pragma_table_info('messages')"),
                  (std::vector<std::string>{"room", "seq", "sender", "ts", "text"}));
  // The next start migrates it.
  CAF_REQUIRE_EQUAL(open(), "");
  auto rec = recover("lobby");
  CAF_CHECK_EQUAL(rec.last_seq, 1u);
  CAF_REQUIRE_EQUAL(rec.recent.size(), 1u);
  CAF_CHECK_EQUAL(rec.recent[0].text, "one");
  close();
  CAF_CHECK_EQUAL(user_version(file()), "2");
}

CAF_TEST(a database of a newer schema version is refused and left alone) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("lobby", 1, 1)), uint64_t{1});
  close();
  exec_sql(file(), "PRAGMA user_version = 3");
  CAF_CHECK_EQUAL(open(), "chat.store-path: cannot open '" + file()
                            + "': schema version 3 is newer than this server understands (2)");
  CAF_CHECK_EQUAL(user_version(file()), "3");
  CAF_CHECK_EQUAL(query_column(file(), "SELECT text FROM messages"),
                  (std::vector<std::string>{"lobby-1"}));
}

// -- startup -------------------------------------------------------------------------------------

CAF_TEST(a missing directory is created) {
  settings.path = (dir / "x" / "y" / "chat.db").string();
  CAF_REQUIRE_EQUAL(open(), "");
  CAF_CHECK_EQUAL(persist(batch("a", 1, 1)), uint64_t{1});
  CAF_CHECK(std::filesystem::is_regular_file(settings.path));
}

CAF_TEST(a file that is no database is refused at startup) {
  settings.path = file("notes.txt");
  {
    std::ofstream out{settings.path};
    for (int i = 0; i < 200; ++i)
      out << "these are not the pages you are looking for\n";
  }
  auto error = open();
  CAF_CHECK_EQUAL(error, "chat.store-path: cannot open '" + settings.path
                           + "': file is not a database");
}

CAF_TEST(a corrupt database is refused at startup) {
  settings.path = file();
  CAF_REQUIRE_EQUAL(open(), "");
  std::vector<chat_message> big;
  for (uint64_t seq = 1; seq <= 200; ++seq)
    big.push_back(chat_message{"a", seq, "alice", now_ms(), std::string(300, 'x')});
  CAF_CHECK_EQUAL(persist(big), uint64_t{200});
  close(); // the last connection checkpoints the WAL into the file
  {
    // Overwrite the middle of the file (b-tree pages of `messages`) with garbage.
    std::fstream f{settings.path, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(5 * 4096);
    std::string junk(3 * 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto error = open();
  CAF_CHECK(contains(error, "chat.store-path: cannot open '" + settings.path + "': "));
  CAF_CHECK(contains(error, "corrupt") || contains(error, "malformed"));
  CAF_MESSAGE("corrupt file: " << error);
}

CAF_TEST(a path that cannot be used is refused at startup) {
  { std::ofstream out{file("plain")}; }
  settings.path = (dir / "plain" / "chat.db").string();
  auto error = open();
  CAF_CHECK(contains(error, "chat.store-path: cannot create directory '" + file("plain") + "'"));
  settings.path = dir.string(); // a directory
  error = open();
  CAF_CHECK_EQUAL(error, "chat.store-path: cannot open '" + dir.string()
                           + "': unable to open database file");
  settings.path = "";
  CAF_CHECK_EQUAL(open(), "chat.store-path: empty path");
}

CAF_TEST(an unexpected message does not kill the store) {
  CAF_REQUIRE_EQUAL(open(), "");
  self->send(caf::actor_cast<caf::actor>(store), std::string{"garbage"});
  sched.run();
  CAF_CHECK(!self->has_next_message()); // no error reply either
  CAF_CHECK_EQUAL(persist(batch("a", 1, 1)), uint64_t{1});
}

CAF_TEST(a detached store answers from its own thread and prunes on a real timer) {
  // A detached actor runs on a thread of its own, outside the deterministic test scheduler
  // (whose clock is not thread-safe), so this test uses a real actor system and bounded waits.
  caf::actor_system_config cfg;
  caf::actor_system real_sys{cfg};
  settings.detached = true;
  settings.path = file();
  settings.max_messages_per_room = 2;
  settings.prune_interval = std::chrono::milliseconds(20);
  std::string error;
  auto detached = spawn_store(real_sys, settings, error);
  CAF_REQUIRE(detached);
  caf::scoped_actor client{real_sys};
  auto recover_now = [&] {
    room_recovery rec;
    client->request(detached, std::chrono::seconds(10), recover_atom::value, std::string{"a"},
                    uint64_t{10})
      .receive([&](room_recovery& x) { rec = std::move(x); },
               [&](caf::error& err) { CAF_FAIL("recover failed: " << real_sys.render(err)); });
    return rec;
  };
  uint64_t last = 0;
  client->request(detached, std::chrono::seconds(10), persist_atom::value, batch("a", 1, 5))
    .receive([&](uint64_t x) { last = x; },
             [&](caf::error& err) { CAF_FAIL("persist failed: " << real_sys.render(err)); });
  CAF_CHECK_EQUAL(last, 5u);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto rec = recover_now();
  while (rec.recent.size() > 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    rec = recover_now();
  }
  CAF_CHECK_EQUAL(rec.last_seq, 5u);
  CAF_CHECK_EQUAL(seqs(rec.recent), seq_range(4, 5));
  anon_send_exit(detached, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()
