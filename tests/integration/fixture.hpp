// fixture: what every integration suite starts from: a fresh working directory, an actorchat
// process running in it, and clients that connect to it.
#pragma once

#include "harness.hpp"

#include <caf/test/unit_test.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actorchat::itest {

/// Bound for one expected frame, response or step of a test.
inline constexpr milliseconds io_timeout{5000};

/// Bound for a server to print its "listening" line.
inline constexpr milliseconds start_timeout{15000};

/// A fresh working directory for actorchat processes and the processes started in it.
///
/// A test that fails gets the stderr of every server it started printed when the fixture goes
/// (so does every test if ACTORCHAT_TEST_ECHO is set); then the servers are killed and reaped.
class server_fixture {
public:
  server_fixture() = default;
  ~server_fixture();
  server_fixture(const server_fixture&) = delete;
  server_fixture& operator=(const server_fixture&) = delete;

  /// The working directory of the servers.
  const temp_dir& dir() const { return dir_; }

  /// Starts actorchat in dir() with --chat.port=0 --chat.web-root=<source web/> and `extra`
  /// (later arguments win), and requires its "listening" line.
  server_process& start(std::vector<std::string> extra = {});

  /// Like start(), for ITEST_CASE bodies: a server that does not listen (an unknown option,
  /// say) ends only the current test (ITEST_REQUIRE) instead of aborting the process.
  server_process& start_server(std::vector<std::string> extra = {});

  /// Starts actorchat in dir() with exactly `args`; doesn't wait for anything.
  server_process& launch(std::vector<std::string> args);

  /// The server started last.
  server_process& server();

  /// Its port.
  uint16_t port() { return server().port(); }

  /// Connects a client to the last server and requires a welcome as the first object; the
  /// welcome goes to `*welcome`.
  ws_client connect_client(const ws_options& opts = {},
                           boost::json::object* welcome = nullptr);

  /// Like connect_client, and returns the client's nick.
  ws_client connect_client(std::string& nick, const ws_options& opts = {});

private:
  temp_dir dir_;
  std::vector<std::unique_ptr<server_process>> servers_;
};

/// Requires that a new client can still join the lobby and chat: whatever a test did before
/// disturbed nobody else.
void require_still_serving(uint16_t port);

/// The lines of `text` that start with "actorchat: config error:" and mention `key`.
std::vector<std::string> config_errors_naming(const std::string& text, const std::string& key);

// -- protocol v1 suites (docs/PROTOCOL.md) ----------------------------------------------
//
// The v1 suites (rooms, nick, presence, durability, resume, errors) declare their tests with
// ITEST_CASE instead of CAF_TEST and require with ITEST_REQUIRE* instead of CAF_REQUIRE*: a failed
// requirement ends that one test (the failure is recorded, the fixture's destructor prints the
// servers' stderr, the next test runs), where CAF_REQUIRE would abort the whole process and hide
// every later test of the suite. CAF_CHECK* work as usual inside ITEST_CASE.

/// Thrown by ITEST_REQUIRE* and by chat_peer after the failure was recorded; caught by
/// ITEST_CASE around the test body only.
struct test_aborted {};

/// Runs `body`: test_aborted ends it quietly, any other exception is recorded as a failure.
void run_guarded(const std::function<void()>& body);

/// Records a failed check at `file`:`line` with `what` and throws test_aborted.
[[noreturn]] void fail_test(const char* file, size_t line, const std::string& what);

/// Records a passed check at `file`:`line` with `what` (shown at -v4).
void pass_check(const char* file, size_t line, const std::string& what);

} // namespace actorchat::itest

/// Like CAF_TEST(name), but the body runs inside run_guarded (see above).
#define ITEST_CASE(name)                                                                        \
  namespace {                                                                                   \
  struct CAF_UNIQUE(test) : caf_test_case_auto_fixture {                                        \
    void run_test_impl() {                                                                      \
      ::actorchat::itest::run_guarded([this] { guarded_body(); });                              \
    }                                                                                           \
    void guarded_body();                                                                        \
  };                                                                                            \
  ::caf::test::detail::adder<::caf::test::test_impl<CAF_UNIQUE(test)>>                          \
    CAF_UNIQUE(a){CAF_XSTR(CAF_SUITE), CAF_XSTR(name), false};                                  \
  }                                                                                             \
  void CAF_UNIQUE(test)::guarded_body()

/// Like CAF_REQUIRE, but ends only the current ITEST_CASE.
#define ITEST_REQUIRE(...)                                                                      \
  do {                                                                                          \
    bool itest_ok_ = static_cast<bool>(__VA_ARGS__);                                            \
    ::caf::test::detail::check(::caf::test::engine::current_test(), __FILE__, __LINE__,         \
                               #__VA_ARGS__, false, itest_ok_);                                 \
    ::caf::test::engine::last_check_file(__FILE__);                                             \
    ::caf::test::engine::last_check_line(__LINE__);                                             \
    if (!itest_ok_)                                                                             \
      throw ::actorchat::itest::test_aborted{};                                                 \
  } while (false)

/// Like CAF_REQUIRE_EQUAL (prints both values), but ends only the current ITEST_CASE.
#define ITEST_REQUIRE_EQUAL(x, y)                                                               \
  do {                                                                                          \
    ::caf::test::equal_to itest_cmp_;                                                           \
    auto&& itest_x_ = x;                                                                        \
    auto&& itest_y_ = y;                                                                        \
    bool itest_ok_ = ::caf::test::detail::check(                                                \
      ::caf::test::engine::current_test(), __FILE__, __LINE__,                                  \
      CAF_FUNC_EXPR(::caf::test::equal_to, x, y), false, itest_cmp_(itest_x_, itest_y_),        \
      itest_x_, itest_y_);                                                                      \
    ::caf::test::engine::last_check_file(__FILE__);                                             \
    ::caf::test::engine::last_check_line(__LINE__);                                             \
    if (!itest_ok_)                                                                             \
      throw ::actorchat::itest::test_aborted{};                                                 \
  } while (false)

/// Records `msg` (stream syntax, as CAF_MESSAGE) as a failure and ends the current ITEST_CASE.
#define ITEST_FAIL(msg)                                                                         \
  do {                                                                                          \
    std::ostringstream itest_msg_;                                                              \
    itest_msg_ << msg;                                                                          \
    ::actorchat::itest::fail_test(__FILE__, __LINE__, itest_msg_.str());                        \
  } while (false)

/// Records a passed check described by `msg` (stream syntax).
#define ITEST_PASS(msg)                                                                         \
  do {                                                                                          \
    std::ostringstream itest_msg_;                                                              \
    itest_msg_ << msg;                                                                          \
    ::actorchat::itest::pass_check(__FILE__, __LINE__, itest_msg_.str());                       \
  } while (false)

namespace actorchat::itest {

/// The request target of a connection that starts in no room.
inline constexpr const char* no_autojoin = "/ws?autojoin=false";

/// The "id" of a command or reply: a JSON string or integer.
using json_id = boost::json::value;

/// True if `obj` has an "id" equal to `id` (integers compare by value, whatever their kind).
bool has_id(const boost::json::object& obj, const json_id& id);

/// `obj` on one line, cut after `max` characters, for test messages.
std::string brief(const boost::json::object& obj, size_t max = 300);

/// A client speaking protocol v1 on top of ws_client.
///
/// It keeps what it read but has not handed out yet in a backlog, in arrival order: await()
/// looks for the first object that matches, in the backlog first, then on the wire, and leaves
/// everything else in the backlog for later calls. Objects of unrelated kinds (presence events
/// of other clients, replies to other commands) therefore never make a test fail by arriving
/// early, while the order of the objects that do match is the order in which they arrived.
/// Every wait is bounded; a missing object records a failure and throws test_aborted.
class chat_peer {
public:
  using predicate = std::function<bool(const boost::json::object&)>;

  chat_peer() = default;
  chat_peer(chat_peer&&) = default;
  chat_peer& operator=(chat_peer&&) = default;

  std::string label;           ///< names this client in test messages ("A", "reader", ...)
  ws_client ws;                ///< the connection
  boost::json::object welcome; ///< the first object the server sent
  std::string nick;            ///< welcome.nick

  /// Sends `cmd` serialized as one text frame; requires success.
  void send(const boost::json::object& cmd);

  /// Sends `text` verbatim as one text frame (a plain say, or a malformed command).
  void send_raw(std::string_view text);

  /// The first object matching `pred`, from the backlog or the wire within `timeout`; requires
  /// one (the failure names `what` and shows the backlog).
  boost::json::object await(const predicate& pred, const std::string& what,
                            milliseconds timeout = io_timeout);

  /// Like await, but nullopt instead of a failure.
  std::optional<boost::json::object> try_await(const predicate& pred,
                                               milliseconds timeout = io_timeout);

  /// The first object with this "id" (of any type).
  boost::json::object reply(const json_id& id, milliseconds timeout = io_timeout);

  /// The first object with this "id"; requires its type to be `type` (an error shows its code).
  boost::json::object expect_reply(const std::string& type, const json_id& id,
                                   milliseconds timeout = io_timeout);

  /// The first object with this "id"; requires an error with `code`. Returns it.
  boost::json::object expect_error(const std::string& code, const json_id& id,
                                   milliseconds timeout = io_timeout);

  /// The first error without an "id"; requires `code`. Returns it.
  boost::json::object expect_error_without_id(const std::string& code,
                                              milliseconds timeout = io_timeout);

  /// The first object of type `type` (and, unless empty, of room `room`).
  boost::json::object expect(const std::string& type, const std::string& room = {},
                             milliseconds timeout = io_timeout);

  /// The first "message" of `room`; requires its seq (and its text, unless `text` is empty).
  boost::json::object expect_message(const std::string& room, int64_t seq,
                                     const std::string& text = {},
                                     milliseconds timeout = io_timeout);

  /// The first "presence" of `room` with `event` and `nick`; requires its count.
  boost::json::object expect_presence(const std::string& room, const std::string& event,
                                      const std::string& nick, int64_t count,
                                      milliseconds timeout = io_timeout);

  /// Reads until nothing arrives for `quiet`; all of it goes to the backlog.
  void settle(milliseconds quiet = milliseconds{300});

  /// A round trip (a "rooms" command with a fresh id, answered), then settle(): whatever the
  /// server sent this client before is in the backlog afterwards.
  void sync(milliseconds quiet = milliseconds{300});

  /// Removes and returns the backlog objects that match `pred`, in arrival order.
  std::vector<boost::json::object> take(const predicate& pred);

  /// The backlog (read-only), oldest first.
  const std::deque<boost::json::object>& backlog() const { return backlog_; }

  // -- commands that must succeed: send, await the reply with `id`, require its type ------------

  /// join `room` → the "joined" reply (with its room checked, and no message of the room
  /// received before it).
  boost::json::object join(const std::string& room, const json_id& id);

  /// leave `room` → the "left" reply.
  boost::json::object leave(const std::string& room, const json_id& id);

  /// say `text` in `room` with `id` → the "sent" reply (its seq is the message's seq).
  boost::json::object say(const std::string& room, const std::string& text, const json_id& id);

  /// Says "<prefix>N" for N = first .. first+count-1 in `room`, each with its text as id, all
  /// sent before the first reply is awaited; returns the seqs of the "sent" replies. The
  /// messages themselves stay in the backlog.
  std::vector<int64_t> say_many(const std::string& room, const std::string& prefix,
                                int64_t first, int64_t count);

  /// nick `nick` → the "nick" reply; updates this->nick.
  boost::json::object rename(const std::string& new_nick, const json_id& id);

  /// who `room` → the "who" reply's members.
  std::vector<std::string> who(const std::string& room, const json_id& id);

  /// rooms → the "rooms" reply's list as (room, members) pairs.
  std::vector<std::pair<std::string, int64_t>> rooms(const json_id& id);

  /// history → the "history" reply. `before` and `limit` are left out when negative.
  boost::json::object history(const std::string& room, int64_t before, int64_t limit,
                              const json_id& id);

  /// resume `room` after `after` → the "resumed" reply (with its room checked, and no message
  /// of the room received before it).
  boost::json::object resume(const std::string& room, int64_t after, const json_id& id);

private:
  std::optional<boost::json::object> read_one(milliseconds timeout);
  void require_nothing_before(const std::string& room, const boost::json::object& reply);
  std::string backlog_summary() const;

  std::deque<boost::json::object> backlog_;
  int sync_counter_ = 0;
};

/// Connects a chat_peer to `port` at `target` and requires a welcome first. With autojoin on
/// (the target is "/ws"), the `joined` for the lobby is left for the test to read.
chat_peer connect_peer(uint16_t port, const std::string& label,
                       const std::string& target = "/ws");

/// The messages of a "history" reply.
std::vector<boost::json::object> history_messages(const boost::json::object& reply);

/// The seqs of `messages`, in order (-1 for a message without an integral seq).
std::vector<int64_t> seqs_of(const std::vector<boost::json::object>& messages);

/// first, first+1, ..., last (empty if last < first).
std::vector<int64_t> seq_range(int64_t first, int64_t last);

/// A JSON array of strings as a vector (non-strings become "<non-string>"); empty if `v` is not
/// an array.
std::vector<std::string> string_list(const boost::json::value* v);

/// obj[key] as a bool; nullopt if absent or not a bool.
std::optional<bool> get_bool(const boost::json::object& obj, std::string_view key);

/// Prints a vector as [a, b, c] (for CAF_CHECK_EQUAL messages).
template <class T>
std::string show(const std::vector<T>& xs) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < xs.size(); ++i)
    out << (i > 0 ? ", " : "") << xs[i];
  out << ']';
  return out.str();
}

} // namespace actorchat::itest
