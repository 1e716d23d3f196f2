// loadgen: actorchat's load generator (fan-out scenario).
//
// Connects --clients WebSocket clients to one room; the first --publishers of them also publish,
// each keeping --window of its own messages in flight (a message is "landed" when it comes back
// to its publisher, since every client also receives). Every client checks that it gets every
// message of the run exactly once and in order. Measures deliveries/s, loss, latency percentiles
// (send time is embedded in the message) and, with --server-pid, the server's CPU per delivery
// from /proc. Bounded in time (--timeout) and in count; connects to 127.0.0.0/8 only.
//
//   loadgen --port 8080 --clients 100 --publishers 10 --window 8 --messages 2000 --size 64
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  size_t clients = 100;
  size_t publishers = 10;
  size_t window = 8;
  size_t messages = 1000; // per publisher
  size_t size = 64;       // message text size in bytes
  size_t threads = 1;
  double timeout = 60;    // seconds, whole run
  int server_pid = 0;
  bool json = false;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
    .count();
}

/// Log-linear latency histogram in microseconds (about 3% resolution), one per thread.
class histogram {
public:
  void add(int64_t us) {
    ++buckets_[index(us < 0 ? 0 : static_cast<uint64_t>(us))];
    ++count_;
  }
  void merge(const histogram& other) {
    for (size_t i = 0; i < buckets_.size(); ++i)
      buckets_[i] += other.buckets_[i];
    count_ += other.count_;
  }
  uint64_t count() const { return count_; }
  /// Upper bound of the bucket holding quantile q, in microseconds.
  double quantile(double q) const {
    if (count_ == 0)
      return 0;
    auto target = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= target)
        return upper(i);
    }
    return upper(buckets_.size() - 1);
  }

private:
  static constexpr size_t sub = 32;
  static size_t index(uint64_t v) {
    if (v < sub)
      return static_cast<size_t>(v);
    auto exp = 63 - __builtin_clzll(v); // v >= 32, so exp >= 5
    auto mant = (v >> (exp - 5)) & (sub - 1);
    return std::min<size_t>(sub + static_cast<size_t>(exp - 5) * sub + mant, 40 * sub - 1);
  }
  static double upper(size_t i) {
    if (i < sub)
      return static_cast<double>(i);
    auto exp = (i - sub) / sub + 5;
    auto mant = (i - sub) % sub;
    return std::ldexp(static_cast<double>(sub + mant + 1), static_cast<int>(exp) - 5);
  }
  std::array<uint64_t, 40 * 32> buckets_{};
  uint64_t count_ = 0;
};

struct shared_state {
  options opt;
  std::string run_tag; ///< marks this run's messages: history from earlier runs is ignored
  std::atomic<size_t> connected{0};
  std::atomic<size_t> failed{0};
  std::atomic<size_t> done_clients{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  size_t expected_per_client = 0;
};

/// One client connection; runs on its thread's io_context (no cross-thread access).
class conn : public std::enable_shared_from_this<conn> {
public:
  conn(asio::io_context& ioc, shared_state& st, size_t id, histogram& hist)
    : ws_(ioc), st_(st), id_(id), hist_(hist) {
  }

  bool publisher() const { return id_ < st_.opt.publishers; }
  uint64_t received() const { return received_; }
  uint64_t out_of_order() const { return out_of_order_; }

  void start(const tcp::endpoint& ep) {
    beast::get_lowest_layer(ws_).async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return self->fail();
      self->ws_.async_handshake("127.0.0.1", "/ws", [self](beast::error_code ec2) {
        if (ec2)
          return self->fail();
        ++self->st_.connected;
        self->do_read();
      });
    });
  }

  /// Starts publishing (publishers only), on this connection's thread.
  void begin() {
    if (!publisher())
      return;
    for (size_t i = 0; i < st_.opt.window && sent_ < st_.opt.messages; ++i)
      send_next();
  }

  void close() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

private:
  void fail() { ++st_.failed; }

  void send_next() {
    // "<tag> <publisher> <n> <send-ns> <padding>"
    std::string text = st_.run_tag + " " + std::to_string(id_) + " " + std::to_string(sent_) + " "
                       + std::to_string(now_ns()) + " ";
    if (text.size() < st_.opt.size)
      text.append(st_.opt.size - text.size(), 'x');
    ++sent_;
    out_.push_back(std::move(text));
    if (out_.size() == 1)
      do_write();
  }

  void do_write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec,
                                                                            size_t) {
      if (ec)
        return;
      self->out_.erase(self->out_.begin());
      if (!self->out_.empty())
        self->do_write();
    });
  }

  void do_read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec)
        return;
      self->on_frame();
      self->do_read();
    });
  }

  void on_frame() {
    auto data = buf_.cdata();
    std::string_view frame{static_cast<const char*>(data.data()), data.size()};
    for (size_t pos = 0; pos < frame.size();) {
      auto nl = frame.find('\n', pos);
      auto line = frame.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      on_line(line);
      pos = nl == std::string_view::npos ? frame.size() : nl + 1;
    }
    buf_.consume(buf_.size());
  }

  void on_line(std::string_view line) {
    static constexpr std::string_view key = "\"text\":\"";
    auto t = line.find(key);
    if (t == std::string_view::npos)
      return;
    auto text = line.substr(t + key.size());
    if (text.substr(0, st_.run_tag.size()) != st_.run_tag)
      return; // history of an earlier run
    unsigned long long pub = 0, n = 0;
    long long sent_at = 0;
    auto rest = std::string{text.substr(st_.run_tag.size(), 64)};
    if (std::sscanf(rest.c_str(), " %llu %llu %lld", &pub, &n, &sent_at) != 3)
      return;
    hist_.add((now_ns() - sent_at) / 1000);
    ++received_;
    if (pub < last_n_.size()) {
      if (static_cast<long long>(n) != last_n_[pub] + 1)
        ++out_of_order_;
      last_n_[pub] = static_cast<long long>(n);
    }
    if (publisher() && pub == id_ && sent_ < st_.opt.messages)
      send_next();
    if (received_ == st_.expected_per_client)
      ++st_.done_clients;
  }

public:
  std::vector<long long> last_n_;

private:
  websocket::stream<beast::tcp_stream> ws_;
  shared_state& st_;
  size_t id_;
  histogram& hist_;
  beast::flat_buffer buf_;
  std::vector<std::string> out_;
  size_t sent_ = 0;
  uint64_t received_ = 0;
  uint64_t out_of_order_ = 0;
};

/// utime + stime of a process in seconds, from /proc/PID/stat.
double cpu_seconds(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string s{std::istreambuf_iterator<char>{in}, {}};
  auto close = s.rfind(')');
  if (close == std::string::npos)
    return 0;
  // Fields after the command: state(3) ... utime(14) stime(15).
  unsigned long long utime = 0, stime = 0;
  const char* p = s.c_str() + close + 2;
  for (int field = 3; field < 14 && *p; ++field)
    p = std::strchr(p, ' ') + 1;
  std::sscanf(p, "%llu %llu", &utime, &stime);
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--host") o.host = next();
    else if (a == "--port") o.port = static_cast<uint16_t>(std::stoul(next()));
    else if (a == "--clients") o.clients = std::stoul(next());
    else if (a == "--publishers") o.publishers = std::stoul(next());
    else if (a == "--window") o.window = std::stoul(next());
    else if (a == "--messages") o.messages = std::stoul(next());
    else if (a == "--size") o.size = std::stoul(next());
    else if (a == "--threads") o.threads = std::max<size_t>(1, std::stoul(next()));
    else if (a == "--timeout") o.timeout = std::stod(next());
    else if (a == "--server-pid") o.server_pid = std::stoi(next());
    else if (a == "--json") o.json = true;
    else return false;
  }
  return o.publishers <= o.clients && o.clients > 0 && o.window > 0;
}

} // namespace

int main(int argc, char** argv) {
  shared_state st;
  if (!parse_args(argc, argv, st.opt)) {
    std::cerr << "usage: loadgen [--host 127.0.0.1] [--port 8080] [--clients N] [--publishers P]\n"
                 "               [--window W] [--messages M per publisher] [--size BYTES]\n"
                 "               [--threads T] [--timeout SECONDS] [--server-pid PID] [--json]\n";
    return 2;
  }
  auto& opt = st.opt;
  auto addr = asio::ip::make_address(opt.host);
  if (!addr.is_loopback()) {
    std::cerr << "loadgen: only loopback targets (127.0.0.0/8, ::1) are allowed\n";
    return 2;
  }
  st.run_tag = "L" + std::to_string(now_ns() % 1000000007);
  st.expected_per_client = opt.publishers * opt.messages;
  tcp::endpoint ep{addr, opt.port};

  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<histogram> hists(opt.threads);
  std::vector<std::shared_ptr<conn>> conns;
  for (size_t t = 0; t < opt.threads; ++t)
    iocs.push_back(std::make_unique<asio::io_context>(1));
  for (size_t i = 0; i < opt.clients; ++i) {
    auto t = i % opt.threads;
    auto c = std::make_shared<conn>(*iocs[t], st, i, hists[t]);
    c->last_n_.assign(opt.publishers, -1);
    conns.push_back(c);
  }
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& ioc : iocs)
    guards.push_back(asio::make_work_guard(*ioc));
  std::vector<std::thread> threads;
  for (auto& ioc : iocs)
    threads.emplace_back([&ioc] { ioc->run(); });

  auto deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                        std::chrono::duration<double>(opt.timeout));
  auto t_connect = clock_type::now();
  // Connect in waves of 128 so the listen backlog never overflows.
  for (size_t i = 0; i < conns.size(); ++i) {
    auto& c = conns[i];
    asio::post(*iocs[i % opt.threads], [c, ep] { c->start(ep); });
    while (i + 1 - st.connected - st.failed >= 128 && clock_type::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  while (st.connected + st.failed < opt.clients && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double connect_s = std::chrono::duration<double>(clock_type::now() - t_connect).count();
  // Let welcome and history replays drain before the clock starts.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  double cpu0 = opt.server_pid ? cpu_seconds(opt.server_pid) : 0;
  auto t0 = clock_type::now();
  for (size_t i = 0; i < opt.publishers; ++i) {
    auto c = conns[i];
    asio::post(*iocs[i % opt.threads], [c] { c->begin(); });
  }
  while (st.done_clients < st.connected && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto t1 = clock_type::now();
  double cpu1 = opt.server_pid ? cpu_seconds(opt.server_pid) : 0;
  bool timed_out = st.done_clients < st.connected;

  for (size_t i = 0; i < conns.size(); ++i) {
    auto c = conns[i];
    asio::post(*iocs[i % opt.threads], [c] { c->close(); });
  }
  guards.clear();
  for (auto& ioc : iocs)
    ioc->stop();
  for (auto& th : threads)
    th.join();

  histogram all;
  for (auto& h : hists)
    all.merge(h);
  uint64_t received = 0, disorder = 0;
  for (auto& c : conns) {
    received += c->received();
    disorder += c->out_of_order();
  }
  uint64_t expected = st.expected_per_client * st.connected;
  double secs = std::chrono::duration<double>(t1 - t0).count();
  double rate = secs > 0 ? static_cast<double>(received) / secs : 0;
  double cpu_per_delivery_us = received ? (cpu1 - cpu0) * 1e6 / static_cast<double>(received) : 0;

  if (opt.json) {
    std::printf("{\"clients\":%zu,\"connected\":%zu,\"failed\":%zu,\"publishers\":%zu,"
                "\"window\":%zu,\"size\":%zu,\"expected\":%" PRIu64 ",\"received\":%" PRIu64
                ",\"lost\":%" PRIu64 ",\"out_of_order\":%" PRIu64 ",\"seconds\":%.3f,"
                "\"deliveries_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
                "\"server_cpu_us_per_delivery\":%.3f,\"connect_s\":%.3f,\"timed_out\":%s}\n",
                opt.clients, st.connected.load(), st.failed.load(), opt.publishers, opt.window,
                opt.size, expected, received, expected - std::min(expected, received), disorder,
                secs, rate, all.quantile(0.5) / 1000, all.quantile(0.99) / 1000,
                all.quantile(1.0) / 1000, cpu_per_delivery_us, connect_s,
                timed_out ? "true" : "false");
  } else {
    std::printf("clients %zu (connected %zu, failed %zu in %.2f s), publishers %zu, window %zu, "
                "%zu B\n",
                opt.clients, st.connected.load(), st.failed.load(), connect_s, opt.publishers,
                opt.window, opt.size);
    std::printf("deliveries   %" PRIu64 " of %" PRIu64 " (lost %" PRIu64 ", out of order %" PRIu64
                ")%s\n",
                received, expected, expected - std::min(expected, received), disorder,
                timed_out ? "  TIMED OUT" : "");
    std::printf("rate         %.0f deliveries/s over %.2f s\n", rate, secs);
    std::printf("latency      p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", all.quantile(0.5) / 1000,
                all.quantile(0.99) / 1000, all.quantile(1.0) / 1000);
    if (opt.server_pid)
      std::printf("server CPU   %.2f s = %.3f us per delivery\n", cpu1 - cpu0, cpu_per_delivery_us);
  }
  return timed_out || st.failed > 0 ? 1 : 0;
}
