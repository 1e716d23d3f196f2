// slow_client: a client that stops reading is dropped once send-queue messages wait for it
// (close 1008 after the data already in flight); the readers that keep up lose nothing.
#define CAF_SUITE slow_client
#include "fixture.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

using namespace actorchat::itest;
using std::chrono::steady_clock;

namespace {

/// Upper bound on messages published; a server that never drops the slow client fails.
constexpr int64_t max_messages = 5000;

/// Size of the filler in each message: the slow client's buffers fill after fewer messages.
constexpr size_t filler_size = 3000;

/// Messages published after the server reported the drop, to see that the room goes on.
constexpr int64_t after_drop = 20;

/// The slow client's SO_RCVBUF (the kernel doubles it): small, so that little is buffered.
constexpr int slow_receive_buffer = 4096;

/// What a reader thread saw.
struct reader_log {
  std::vector<int64_t> seqs;
  std::string end; ///< why it stopped before the target, if it did
};

/// Reads messages until it has seen seq `target` (set once publishing ends) or `stop`.
void read_until_target(ws_client& client, reader_log& log, const std::atomic<int64_t>& target,
                       const std::atomic<bool>& stop) {
  auto reached = [&] { return !log.seqs.empty() && log.seqs.back() >= target.load(); };
  while (!stop.load() && !reached()) {
    auto msg = client.read_message(milliseconds{200});
    if (msg) {
      log.seqs.push_back(get_int(*msg, "seq").value_or(-1));
    } else if (client.last_error() != "timeout") {
      log.end = client.last_error();
      return;
    }
  }
}

/// The first position where `seqs` differs from first, first+1, ..., or seqs.size().
size_t first_gap(const std::vector<int64_t>& seqs, int64_t first) {
  for (size_t i = 0; i < seqs.size(); ++i)
    if (seqs[i] != first + static_cast<int64_t>(i))
      return i;
  return seqs.size();
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(slow_client_tests, server_fixture)

CAF_TEST(a client that stops reading is dropped with 1008 and the others lose nothing) {
  auto& proc = start({"--chat.send-queue=16", "--chat.history-size=10",
                      "--chat.write-timeout=30s", "--chat.rate-limit=0"});
  std::vector<ws_client> good;
  good.push_back(connect_client());
  good.push_back(connect_client());
  // The slow client completes the upgrade and then reads nothing until told to.
  ws_client slow;
  ws_options slow_opts;
  slow_opts.receive_buffer = slow_receive_buffer;
  CAF_REQUIRE(slow.connect(port(), slow_opts));
  std::string publisher_nick;
  auto publisher = connect_client(publisher_nick);

  std::atomic<int64_t> target{std::numeric_limits<int64_t>::max()};
  std::atomic<bool> stop{false};
  std::vector<reader_log> logs(good.size());
  std::mutex finished_mtx;
  std::condition_variable finished_cv;
  size_t finished = 0;
  std::vector<std::thread> readers;
  // Stops and joins the readers however the test leaves this scope.
  struct joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~joiner() {
      stop = true;
      for (auto& thread : threads)
        if (thread.joinable())
          thread.join();
    }
  } join_readers{stop, readers};
  for (size_t i = 0; i < good.size(); ++i)
    readers.emplace_back([&, i] {
      read_until_target(good[i], logs[i], target, stop);
      std::lock_guard<std::mutex> guard{finished_mtx};
      ++finished;
      finished_cv.notify_all();
    });

  // Publish in lock step (each message's echo before the next) until the server reports the
  // drop, then a few more.
  const std::string filler(filler_size, 'p');
  auto publish_deadline = steady_clock::now() + std::chrono::seconds{45};
  int64_t sent = 0;
  int64_t stop_at = max_messages;
  bool dropped = false;
  std::string publish_error;
  auto t0 = steady_clock::now();
  while (sent < stop_at && steady_clock::now() < publish_deadline) {
    ++sent;
    if (!publisher.send("msg " + std::to_string(sent) + " " + filler)) {
      publish_error = "send " + std::to_string(sent) + ": " + publisher.last_error();
      break;
    }
    auto echo = publisher.read_message(io_timeout);
    if (!echo || get_int(*echo, "seq").value_or(-1) != sent) {
      publish_error = "echo of " + std::to_string(sent) + ": "
                      + (echo ? boost::json::serialize(*echo).substr(0, 100)
                              : publisher.last_error());
      break;
    }
    if (!dropped && sent % 10 == 0 && proc.wait_stderr("slow_client_dropped", milliseconds{0})) {
      dropped = true;
      stop_at = sent + after_drop;
      CAF_MESSAGE("slow_client_dropped logged after " << sent << " messages");
    }
  }
  auto publish_ms
    = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0).count();
  CAF_MESSAGE("published " << sent << " messages in " << publish_ms << " ms");
  if (!publish_error.empty())
    CAF_MESSAGE("publisher: " << publish_error);
  CAF_CHECK(publish_error.empty());
  CAF_CHECK(dropped);

  // The readers that kept up must see every message, in order.
  target = publish_error.empty() ? sent : sent - 1;
  {
    std::unique_lock<std::mutex> guard{finished_mtx};
    if (!finished_cv.wait_for(guard, std::chrono::seconds{15},
                              [&] { return finished == readers.size(); }))
      CAF_MESSAGE("the good readers did not reach seq " << target.load() << " within 15 s");
  }
  stop = true;
  for (auto& thread : readers)
    thread.join();
  for (auto& log : logs) {
    if (!log.end.empty())
      CAF_MESSAGE("a good reader stopped early: " << log.end);
    auto gap = first_gap(log.seqs, 1);
    if (gap < log.seqs.size())
      CAF_MESSAGE("good reader: expected seq " << gap + 1 << " at position " << gap << ", got "
                                               << log.seqs[gap]);
    CAF_CHECK_EQUAL(gap, log.seqs.size());
    CAF_CHECK_EQUAL(static_cast<int64_t>(log.seqs.size()), target.load());
  }

  // The slow client now reads: the data in flight, then close 1008.
  std::vector<boost::json::object> seen;
  auto end = slow.read_until_close(std::chrono::seconds{20}, 1000000, &seen);
  std::vector<int64_t> slow_seqs;
  for (auto& obj : seen)
    if (type_of(obj) == "message")
      slow_seqs.push_back(get_int(obj, "seq").value_or(-1));
  CAF_MESSAGE("slow client: " << seen.size() << " objects, " << slow_seqs.size()
                              << " messages, then " << end.describe());
  CAF_CHECK(!seen.empty() && type_of(seen.front()) == "welcome");
  CAF_CHECK(end.what == ws_frame::kind::closed);
  CAF_CHECK_EQUAL(end.close_code, 1008u);
  // What did reach it is a gapless prefix of the room's messages.
  CAF_CHECK_EQUAL(first_gap(slow_seqs, 1), slow_seqs.size());
  CAF_CHECK_LESS(static_cast<int64_t>(slow_seqs.size()), sent);
  CAF_CHECK(proc.stderr_text().find("slow_client_dropped") != std::string::npos);
  // And counted once in /metrics (by the client actor, before it closed the connection).
  auto metrics = http_request(port(), "GET", "/metrics");
  CAF_CHECK_EQUAL(metrics.status, 200);
  CAF_CHECK(metrics.body.find("\nactorchat_slow_client_drops_total 1\n") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
