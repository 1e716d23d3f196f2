// durability (protocol v1): with a file store, every message any client saw (and every message
// acknowledged with "sent") survives kill -9, with the same seq and text; seqs stay contiguous
// and continue after a restart, never reused. A ":memory:" store starts from scratch instead.
#define CAF_SUITE durability
#include "fixture.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

using namespace actorchat::itest;
namespace json = boost::json;
using std::chrono::steady_clock;

namespace {

/// Messages the publisher streams; the server is killed long before the last one.
constexpr int64_t stream_size = 300;

/// The publisher keeps at most this many commands unacknowledged.
constexpr int64_t stream_window = 8;

/// The server is killed once the reader has received this many messages.
constexpr size_t kill_after = 100;

/// One message as a client saw it.
struct seen_message {
  int64_t seq = -1;
  std::string text;
  std::string from;
};

/// What the publisher and the reader threads record (no CAF macros off the main thread).
struct stream_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<seen_message> received;     ///< by the reader, in arrival order
  std::map<std::string, int64_t> acked;   ///< by the publisher: text → seq of its "sent"
  int64_t published = 0;                  ///< say commands written by the publisher
  std::string reader_end;
  std::string publisher_end;
};

std::string stream_text(int64_t i) { return "dur-" + std::to_string(i) + "-q7x"; }

/// Streams say commands to `room` over `ws` (stream_window in flight) until stream_size, an
/// error or `stop`.
void publish(ws_client& ws, const std::string& room, stream_log& log,
             const std::atomic<bool>& stop) {
  int64_t acked = 0;
  auto read_ack = [&](milliseconds timeout) {
    auto obj = ws.read_object(timeout);
    if (!obj)
      return ws.last_error() == "timeout";
    if (type_of(*obj) == "sent") {
      std::lock_guard<std::mutex> guard{log.mtx};
      log.acked[stream_text(get_int(*obj, "id").value_or(-1))] = get_int(*obj, "seq").value_or(-1);
      ++acked;
    } else if (type_of(*obj) == "error") {
      std::lock_guard<std::mutex> guard{log.mtx};
      log.publisher_end = "error: " + json::serialize(*obj);
      return false;
    }
    return true;
  };
  for (int64_t i = 1; i <= stream_size && !stop; ++i) {
    auto cmd = json::object{{"type", "say"}, {"room", room}, {"text", stream_text(i)}, {"id", i}};
    if (!ws.send(json::serialize(cmd))) {
      std::lock_guard<std::mutex> guard{log.mtx};
      log.publisher_end = "send " + std::to_string(i) + ": " + ws.last_error();
      return;
    }
    {
      std::lock_guard<std::mutex> guard{log.mtx};
      log.published = i;
    }
    while (i - acked >= stream_window && !stop) {
      if (!read_ack(milliseconds{200})) {
        std::lock_guard<std::mutex> guard{log.mtx};
        if (log.publisher_end.empty())
          log.publisher_end = "read: " + ws.last_error();
        return;
      }
    }
  }
  while (acked < stream_size && !stop && read_ack(milliseconds{200})) {
  }
  std::lock_guard<std::mutex> guard{log.mtx};
  if (log.publisher_end.empty())
    log.publisher_end = acked == stream_size ? "all acknowledged" : "stopped: " + ws.last_error();
}

/// Records every message of `room` that arrives at `ws` until the connection ends or `stop`.
void read_stream(ws_client& ws, const std::string& room, stream_log& log,
                 const std::atomic<bool>& stop) {
  while (!stop) {
    auto msg = ws.read_message(milliseconds{200});
    if (!msg) {
      if (ws.last_error() == "timeout")
        continue;
      std::lock_guard<std::mutex> guard{log.mtx};
      log.reader_end = ws.last_error();
      log.cv.notify_all();
      return;
    }
    if (get_string(*msg, "room") != room)
      continue;
    std::lock_guard<std::mutex> guard{log.mtx};
    log.received.push_back(
      {get_int(*msg, "seq").value_or(-1), get_string(*msg, "text"), get_string(*msg, "from")});
    log.cv.notify_all();
  }
}

/// Sets `stop` and joins the threads however the test leaves the scope.
struct joiner {
  std::atomic<bool>& stop;
  std::vector<std::thread>& threads;
  ~joiner() {
    stop = true;
    for (auto& thread : threads)
      if (thread.joinable())
        thread.join();
  }
};

/// All messages of `room` in the store, read by `peer` (a member) with history pages from the
/// newest back to the beginning; requires each page to be oldest first and to end right before
/// the previous one, the first right at `last_seq`.
std::vector<json::object> read_whole_room(chat_peer& peer, const std::string& room,
                                          int64_t last_seq) {
  std::vector<json::object> all;
  int64_t before = 0;
  for (int page_no = 1; page_no <= 50; ++page_no) {
    auto page = peer.history(room, before, 40, json_id("page-" + std::to_string(page_no)));
    auto msgs = history_messages(page);
    auto seqs = seqs_of(msgs);
    auto expected_last = before == 0 ? last_seq : before - 1;
    if (!msgs.empty()) {
      auto first = seqs.front();
      CAF_CHECK_EQUAL(show(seqs), show(seq_range(first, expected_last)));
      if (seqs.back() != expected_last)
        ITEST_FAIL("history page " << page_no << " ends at " << seqs.back() << ", expected "
                                   << expected_last);
    }
    all.insert(all.begin(), msgs.begin(), msgs.end());
    if (get_bool(page, "complete").value_or(false))
      return all;
    if (msgs.empty())
      ITEST_FAIL("history page " << page_no << " is empty but not complete");
    before = seqs.front();
  }
  ITEST_FAIL("history of '" << room << "' not complete after 50 pages");
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

/// Streams messages into a room with a file store, kills the server with SIGKILL mid-stream,
/// restarts it on the same store (with `extra` arguments both times) and checks what survived.
void kill_mid_stream(server_fixture& fix, const std::vector<std::string>& extra) {
  const auto db = fix.dir().file("chat.db");
  const std::string room = "dur";
  auto args = extra;
  args.push_back("--chat.store-path=" + db);
  args.push_back("--chat.rate-limit=0"); // the publisher streams as fast as it can
  auto& first = fix.start_server(args);
  auto pub = connect_peer(fix.port(), "publisher", no_autojoin);
  auto reader = connect_peer(fix.port(), "reader", no_autojoin);
  pub.join(room, "jp");
  reader.join(room, "jr");
  stream_log log;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  joiner join_threads{stop, threads};
  threads.emplace_back([&] { read_stream(reader.ws, room, log, stop); });
  threads.emplace_back([&] { publish(pub.ws, room, log, stop); });
  size_t seen_at_kill = 0;
  {
    std::unique_lock<std::mutex> guard{log.mtx};
    log.cv.wait_for(guard, std::chrono::seconds{30}, [&] {
      return log.received.size() >= kill_after || !log.reader_end.empty();
    });
    seen_at_kill = log.received.size();
  }
  first.signal(SIGKILL);
  auto status = first.wait_exit(milliseconds{10000});
  CAF_CHECK_EQUAL(status.value_or(-1), 128 + SIGKILL);
  stop = true;
  for (auto& thread : threads)
    thread.join();
  int64_t max_seen = 0;
  int64_t max_acked = 0;
  for (auto& msg : log.received)
    max_seen = std::max(max_seen, msg.seq);
  for (auto& entry : log.acked)
    max_acked = std::max(max_acked, entry.second);
  CAF_MESSAGE("killed when the reader had " << seen_at_kill << " messages; in the end: reader "
              << log.received.size() << " (max seq " << max_seen << ", " << log.reader_end
              << "), publisher wrote " << log.published << ", " << log.acked.size()
              << " acknowledged (max seq " << max_acked << ", " << log.publisher_end << ")");
  ITEST_REQUIRE(seen_at_kill >= kill_after);
  CAF_CHECK_LESS(static_cast<int64_t>(log.acked.size()), stream_size); // killed mid-stream
  // What the reader saw was gapless from 1.
  {
    std::vector<int64_t> seqs;
    for (auto& msg : log.received)
      seqs.push_back(msg.seq);
    CAF_CHECK_EQUAL(show(seqs), show(seq_range(1, static_cast<int64_t>(seqs.size()))));
  }

  // Restart on the same store (another port).
  fix.start_server(args);
  auto q = connect_peer(fix.port(), "after restart", no_autojoin);
  auto joined = q.join(room, "jq");
  auto last_seq = get_int(joined, "last_seq").value_or(-1);
  CAF_MESSAGE("after the restart: last_seq " << last_seq);
  CAF_CHECK_GREATER_OR_EQUAL(last_seq, max_seen);
  CAF_CHECK_GREATER_OR_EQUAL(last_seq, max_acked);
  CAF_CHECK_LESS_OR_EQUAL(last_seq, log.published);
  // The join replay: the newest history_size (100) messages, ending at last_seq.
  auto replay_first = std::max<int64_t>(1, last_seq - 99);
  for (auto seq = replay_first; seq <= last_seq; ++seq)
    q.expect_message(room, seq, stream_text(seq));
  // The whole room, page by page.
  auto all = read_whole_room(q, room, last_seq);
  CAF_CHECK_EQUAL(show(seqs_of(all)), show(seq_range(1, last_seq)));
  std::map<int64_t, json::object> by_seq;
  for (auto& msg : all)
    by_seq[get_int(msg, "seq").value_or(-1)] = msg;
  size_t missing = 0;
  size_t differing = 0;
  for (auto& msg : log.received) {
    auto it = by_seq.find(msg.seq);
    if (it == by_seq.end()) {
      if (++missing <= 5)
        CAF_MESSAGE("seen before the kill, gone after: seq " << msg.seq << " " << msg.text);
    } else if (get_string(it->second, "text") != msg.text
               || get_string(it->second, "from") != msg.from) {
      if (++differing <= 5)
        CAF_MESSAGE("seq " << msg.seq << " was " << msg.text << " from " << msg.from
                           << ", is now " << brief(it->second));
    }
  }
  CAF_CHECK_EQUAL(missing, 0u);
  CAF_CHECK_EQUAL(differing, 0u);
  size_t unacked = 0;
  for (auto& [text, seq] : log.acked) {
    auto it = by_seq.find(seq);
    if (it == by_seq.end() || get_string(it->second, "text") != text)
      if (++unacked <= 5)
        CAF_MESSAGE("acknowledged as seq " << seq << " but not in the store: " << text);
  }
  CAF_CHECK_EQUAL(unacked, 0u);
  // One publisher on one connection: seq N holds its N-th text (no reordering, no duplicate).
  size_t out_of_order = 0;
  for (auto& [seq, msg] : by_seq)
    if (get_string(msg, "text") != stream_text(seq) && ++out_of_order <= 5)
      CAF_MESSAGE("seq " << seq << " holds " << brief(msg));
  CAF_CHECK_EQUAL(out_of_order, 0u);

  // New messages continue after the last one: never a reused seq.
  auto sent = q.say(room, "after restart", "s1");
  CAF_CHECK_EQUAL(get_int(sent, "seq").value_or(-1), last_seq + 1);
  q.expect_message(room, last_seq + 1, "after restart");
  // resume after 0 on the restarted server: at most history_size follow, the newest ones.
  auto r = connect_peer(fix.port(), "resumer", no_autojoin);
  auto resumed = r.resume(room, 0, "r0");
  auto total = last_seq + 1;
  CAF_CHECK_EQUAL(get_int(resumed, "last_seq").value_or(-1), total);
  CAF_CHECK_EQUAL(get_bool(resumed, "complete").value_or(total > 100), total <= 100);
  for (auto seq = std::max<int64_t>(1, total - 99); seq < total; ++seq)
    r.expect_message(room, seq, stream_text(seq));
  r.expect_message(room, total, "after restart");
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(durability_tests, server_fixture)

ITEST_CASE(every message a client saw survives kill -9 with its seq and text) {
  kill_mid_stream(*this, {}); // store-sync = full, the default
}

ITEST_CASE(with store-sync normal too every message a client saw survives kill -9) {
  kill_mid_stream(*this, {"--chat.store-sync=normal"});
}

ITEST_CASE(a graceful restart keeps history and seq in a relative store path) {
  auto& first = start_server({"--chat.store-path=chat.db"});
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.say_many("lobby", "m", 1, 5);
  first.signal(SIGTERM);
  CAF_CHECK_EQUAL(first.wait_exit(milliseconds{10000}).value_or(-1), 0);
  CAF_CHECK(file_exists(dir().file("chat.db")));
  start_server({"--chat.store-path=chat.db"});
  auto b = connect_peer(port(), "B");
  CAF_CHECK_EQUAL(get_int(b.expect("joined", "lobby"), "last_seq").value_or(-1), 5);
  for (int64_t seq = 1; seq <= 5; ++seq) {
    auto msg = b.expect_message("lobby", seq, "m" + std::to_string(seq));
    CAF_CHECK_EQUAL(get_string(msg, "from"), a.nick);
  }
  auto sent = b.say("lobby", "m6", "s6");
  CAF_CHECK_EQUAL(get_int(sent, "seq").value_or(-1), 6);
}

ITEST_CASE(the default store path is data slash actorchat.db and parent directories are made) {
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.say("lobby", "stored", "s");
  CAF_CHECK(file_exists(dir().file("data/actorchat.db")));
  start_server({"--chat.store-path=state/deeper/chat.db"});
  auto b = connect_peer(port(), "B");
  b.expect("joined", "lobby");
  b.say("lobby", "stored too", "s");
  CAF_CHECK(file_exists(dir().file("state/deeper/chat.db")));
}

ITEST_CASE(a memory store starts from scratch after a restart) {
  auto& first = start_server({"--chat.store-path=:memory:"});
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  CAF_CHECK_EQUAL(show(a.say_many("lobby", "m", 1, 3)), show(seq_range(1, 3)));
  first.signal(SIGKILL);
  CAF_CHECK_EQUAL(first.wait_exit(milliseconds{10000}).value_or(-1), 128 + SIGKILL);
  start_server({"--chat.store-path=:memory:"});
  auto b = connect_peer(port(), "B");
  auto joined = b.expect("joined", "lobby");
  CAF_CHECK_EQUAL(get_int(joined, "last_seq").value_or(-1), 0);
  // Unlike a file store, seq starts at 1 again: clients must watch welcome.boot.
  auto sent = b.say("lobby", "fresh", "s");
  CAF_CHECK_EQUAL(get_int(sent, "seq").value_or(-1), 1);
  CAF_CHECK_NOT_EQUAL(get_string(a.welcome, "boot"), get_string(b.welcome, "boot"));
  b.expect_message("lobby", 1, "fresh");
  b.sync();
  CAF_CHECK(b.take([](const json::object& obj) { return type_of(obj) == "message"; }).empty());
  // Nothing was written to disk.
  size_t db_files = 0;
  std::error_code ec;
  for (auto& entry : std::filesystem::recursive_directory_iterator(dir().path(), ec))
    if (entry.path().filename().string().find(".db") != std::string::npos) {
      CAF_MESSAGE("file on disk: " << entry.path().string());
      ++db_files;
    }
  CAF_CHECK_EQUAL(db_files, 0u);
}

ITEST_CASE(a retired room keeps its history and seq) {
  start_server({"--chat.room-idle-timeout=1s"});
  auto a = connect_peer(port(), "A", no_autojoin);
  a.join("tmp", "j");
  a.say_many("tmp", "m", 1, 3);
  a.leave("tmp", "l");
  auto deadline = steady_clock::now() + std::chrono::seconds{6};
  bool retired = false;
  for (int n = 1; !retired && steady_clock::now() < deadline; ++n) {
    retired = true;
    for (auto& entry : a.rooms(json_id("poll-" + std::to_string(n))))
      retired = retired && entry.first != "tmp";
    if (!retired)
      std::this_thread::sleep_for(milliseconds{200});
  }
  CAF_CHECK(retired);
  auto b = connect_peer(port(), "B", no_autojoin);
  CAF_CHECK_EQUAL(get_int(b.join("tmp", "jb"), "last_seq").value_or(-1), 3);
  for (int64_t seq = 1; seq <= 3; ++seq)
    b.expect_message("tmp", seq, "m" + std::to_string(seq));
  CAF_CHECK_EQUAL(get_int(b.say("tmp", "m4", "s4"), "seq").value_or(-1), 4);
}

ITEST_CASE(retention keeps the newest messages and history and resume report the cut) {
  // Retention runs in the background (the contract names no schedule): wait for it, bounded.
  std::vector<std::string> args{"--chat.store-path=chat.db",
                                "--chat.store-max-messages-per-room=10"};
  auto& first = start_server(args);
  auto a = connect_peer(port(), "A", no_autojoin);
  a.join("r", "j");
  CAF_CHECK_EQUAL(show(a.say_many("r", "m", 1, 30)), show(seq_range(1, 30)));
  auto deadline = steady_clock::now() + std::chrono::seconds{40};
  json::object page;
  for (int n = 1;; ++n) {
    page = a.history("r", 0, 200, json_id("poll-" + std::to_string(n)));
    if (history_messages(page).size() <= 10 || steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(milliseconds{500});
  }
  CAF_MESSAGE("history after retention: " << show(seqs_of(history_messages(page))));
  CAF_CHECK_EQUAL(show(seqs_of(history_messages(page))), show(seq_range(21, 30)));
  // Nothing older is kept: complete.
  CAF_CHECK_EQUAL(get_bool(page, "complete").value_or(false), true);
  auto older = a.history("r", 21, 50, "older");
  CAF_CHECK_EQUAL(history_messages(older).size(), 0u);
  CAF_CHECK_EQUAL(get_bool(older, "complete").value_or(false), true);
  // After a restart, only the store remembers: a resume from before the cut is incomplete and
  // gets what is kept; one after the cut is complete.
  first.signal(SIGTERM);
  CAF_CHECK_EQUAL(first.wait_exit(milliseconds{10000}).value_or(-1), 0);
  start_server(args);
  auto b = connect_peer(port(), "B", no_autojoin);
  auto resumed = b.resume("r", 5, "r1");
  CAF_MESSAGE("resumed: " << brief(resumed));
  CAF_CHECK_EQUAL(get_int(resumed, "last_seq").value_or(-1), 30);
  CAF_CHECK_EQUAL(get_bool(resumed, "complete").value_or(true), false);
  for (int64_t seq = 21; seq <= 30; ++seq)
    b.expect_message("r", seq, "m" + std::to_string(seq));
  auto c = connect_peer(port(), "C", no_autojoin);
  auto resumed_c = c.resume("r", 25, "r2");
  CAF_CHECK_EQUAL(get_bool(resumed_c, "complete").value_or(false), true);
  for (int64_t seq = 26; seq <= 30; ++seq)
    c.expect_message("r", seq, "m" + std::to_string(seq));
  CAF_CHECK_EQUAL(get_int(b.say("r", "m31", "s31"), "seq").value_or(-1), 31);
}

CAF_TEST(a store file that is not a database stops the start with a message naming the key) {
  dir().write("chat.db", std::string(4096, 'x'));
  auto& proc = launch({"--chat.port=0", "--chat.web-root=" + web_root(),
                       "--chat.store-path=chat.db"});
  auto status = proc.wait_exit(milliseconds{10000});
  CAF_REQUIRE(status.has_value());
  CAF_CHECK_EQUAL(*status, 1);
  auto err = proc.stderr_text();
  CAF_MESSAGE(err);
  CAF_CHECK(err.find("startup_failed") != std::string::npos);
  CAF_CHECK(err.find("chat.store-path") != std::string::npos);
  CAF_CHECK(err.find("listening") == std::string::npos); // it never served anyone
}

CAF_TEST_FIXTURE_SCOPE_END()
