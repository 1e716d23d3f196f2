// loadgen: actorchat's load generator (docs/BENCHMARKS.md). Scenarios (--scenario):
//
// fanout (default): connects --clients WebSocket clients to one room; the first --publishers of
//   them also publish, each keeping --window of its own messages in flight (a message is
//   "landed" when it comes back to its publisher, since every client also receives; --window 0:
//   no window, each publisher sends all its messages at once and only TCP holds it back: the
//   overload case). Every client checks that it gets every message of the run exactly once and
//   in order. Measures deliveries/s, loss, latency percentiles (send time is embedded in the
//   message) and, with --server-pid, the server's CPU per delivery from /proc.
// slow: fanout, plus one more client that never reads (a zero TCP window): reports whether the
//   server closed it and what the readers' latency was meanwhile.
// idle: connects --clients and holds them for --hold seconds; with --server-pid, the server's
//   RSS before, after connecting and at the end, and per connection.
// connect: opens --clients connections, --concurrency at a time (each done when the server's
//   first frame arrives, or at the upgrade with --protocol plain), and reports connections/s.
// soak: --clients well-behaved clients in the lobby (the first --publishers of them say a
//   message every 100 ms, within the default rate limit) for --hold seconds, while up to
//   --chaos other connections come and go at random beside them: some join and leave, some
//   flood (far over the rate limit), some never read, some send garbage (bad JSON, invalid
//   UTF-8, binary). At the end every well-behaved client must still be connected and have every
//   message of the room from its join on (gapless seqs, up to the last one). With --server-pid,
//   the server's RSS before the chaos and after it; --rss-growth-mib fails the run if it grew more.
//
// --protocol plain speaks to servers that broadcast raw text frames (Beast's chat-multi example)
// instead of actorchat's JSON. --sources N binds the connections round-robin to 127.0.0.1 ..
// 127.0.0.N. Bounded in time (--timeout) and in count; connects to 127.0.0.0/8 only.
//
// A cluster (several nodes on --host, one port each, serving the same rooms): --ports P1,P2,..
// spreads the clients of every scenario round-robin over the ports (client i, publishers
// included, goes to ports[i % n]; soak's chaotic connections likewise, in the order they start).
// --port P is --ports P; --ports wins over --port. --server-pid PID1,PID2,.. then sums the
// server's CPU (utime + stime) and RSS (VmRSS) over all those processes. --json reports "ports".
//
//   loadgen --port 8080 --clients 100 --publishers 10 --window 8 --messages 2000 --size 64
//   loadgen --ports 8080,8081,8082 --server-pid 101,102,103 --clients 300 --publishers 30
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
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
  std::string scenario = "fanout";
  bool plain = false;            // --protocol plain
  std::string path;              // request target; default /ws (actorchat) or / (plain)
  size_t sources = 1;            // bind to 127.0.0.1 .. 127.0.0.N
  double hold = 10;              // idle: seconds
  size_t concurrency = 128;      // connections in progress at once
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::vector<uint16_t> ports;   // --ports; empty: {port}
  size_t clients = 100;
  size_t publishers = 10;
  size_t window = 8;
  size_t messages = 1000; // per publisher
  size_t size = 64;       // message text size in bytes
  size_t threads = 1;
  double timeout = 60;    // seconds, whole run
  std::vector<int> server_pids;  // --server-pid, one or more; empty: none
  bool json = false;
  size_t chaos = 40;             // soak: chaotic connections at once, at most
  double rss_growth_mib = 0;     // soak: fail if the server's RSS grew more (0 = report only)
  std::string chaos_kinds = "churn,churn,flood,stall,garbage"; // soak: drawn from at random
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
  std::atomic<size_t> ready{0};   ///< connections that got the server's first frame
  std::atomic<size_t> failed{0};
  std::atomic<size_t> done_clients{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  size_t expected_per_client = 0;
};

/// Scratch space for reads, one per io_context thread: a connection reads into it only inside
/// its own handler (synchronously, once async_wait says the socket is readable) and parses it
/// there, so that an idle connection holds no read buffer and a busy one copies nothing.
std::vector<char>& read_scratch() {
  thread_local std::vector<char> scratch(256 * 1024);
  return scratch;
}

/// A WebSocket masking key (RFC 6455 5.3: a client masks every frame with a fresh key).
uint32_t next_mask_key() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return static_cast<uint32_t>(gen());
}

/// A masked client frame: FIN, `opcode`, `payload`.
std::string client_frame(uint8_t opcode, std::string_view payload) {
  std::string f;
  f.reserve(payload.size() + 14);
  f.push_back(static_cast<char>(0x80 | opcode));
  auto len = payload.size();
  if (len < 126) {
    f.push_back(static_cast<char>(0x80 | len));
  } else if (len <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(len >> 8));
    f.push_back(static_cast<char>(len & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((static_cast<uint64_t>(len) >> shift) & 0xff));
  }
  auto key = next_mask_key();
  char k[4];
  std::memcpy(k, &key, 4);
  f.append(k, 4);
  for (size_t i = 0; i < len; ++i)
    f.push_back(static_cast<char>(payload[i] ^ k[i % 4]));
  return f;
}

/// Parses an unsigned decimal at `p` (after spaces); false if there is none.
template <class T>
bool parse_number(const char*& p, const char* end, T& out) {
  while (p < end && *p == ' ')
    ++p;
  auto [next, ec] = std::from_chars(p, end, out);
  if (ec != std::errc{})
    return false;
  p = next;
  return true;
}

/// One client connection; runs on its thread's io_context (no cross-thread access).
///
/// It speaks the client side of RFC 6455 itself rather than through Beast's websocket stream:
/// the upgrade request and response, masked frames out, and the server's frames parsed
/// straight from what one read returned (text, continuation, ping answered with pong, close).
/// That keeps the load generator's own CPU per delivery low on the machine it shares with the
/// server (docs/BENCHMARKS.md, method).
class conn : public std::enable_shared_from_this<conn> {
public:
  conn(asio::io_context& ioc, shared_state& st, size_t id, histogram& hist)
    : sock_(ioc), st_(st), id_(id), hist_(hist) {
  }

  bool publisher() const { return id_ < st_.opt.publishers; }
  uint64_t received() const { return received_; }
  uint64_t out_of_order() const { return out_of_order_; }

  /// Connects from `source` (port 0: any) to `ep`; a `slow` connection never reads.
  void start(const tcp::endpoint& ep, const tcp::endpoint& source, bool slow = false) {
    slow_ = slow;
    beast::error_code ec;
    sock_.open(ep.protocol(), ec);
    if (!ec && source.address() != asio::ip::address_v4::loopback())
      sock_.bind(source, ec);
    if (!ec && slow)
      sock_.set_option(asio::socket_base::receive_buffer_size(4096), ec);
    if (ec)
      return fail();
    sock_.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return self->fail();
      beast::error_code ignored;
      self->sock_.set_option(tcp::no_delay(true), ignored);
      self->sock_.non_blocking(true, ignored);
      self->upgrade_request_ = "GET " + self->st_.opt.path
                               + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Key: "
                                 "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
      asio::async_write(self->sock_, asio::buffer(self->upgrade_request_),
                        [self](beast::error_code ec2, size_t) {
                          if (ec2)
                            return self->fail();
                          self->read_upgrade();
                        });
    });
  }

  /// Reads what a slow connection left unread until the server closes it; then close_code() is
  /// the close frame's code, or -1 if the connection ended without one.
  void drain_slow() {
    draining_ = true;
    consume_carry();
    if (!ended_)
      do_read();
  }
  bool drained() const { return drained_; }
  int close_code() const { return close_code_; }
  bool is_ready() const { return ready_; }

  /// Starts publishing (publishers only), on this connection's thread.
  void begin() {
    if (!publisher())
      return;
    auto window = st_.opt.window == 0 ? st_.opt.messages : st_.opt.window;
    for (size_t i = 0; i < window && sent_ < st_.opt.messages; ++i)
      send_next();
  }

  void close() {
    beast::error_code ec;
    sock_.close(ec);
  }

private:
  void fail() { ++st_.failed; }

  /// The server's first frame arrived (or the upgrade, for plain servers that send none).
  void ready() {
    if (!ready_) {
      ready_ = true;
      ++st_.ready;
    }
  }

  // -- the upgrade ---------------------------------------------------------------------------

  void read_upgrade() {
    sock_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return self->fail();
      auto& buf = read_scratch();
      auto n = self->sock_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block)
        return self->read_upgrade();
      if (ec)
        return self->fail();
      self->carry_.append(buf.data(), n);
      auto end = self->carry_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (self->carry_.size() > 16 * 1024)
          return self->fail();
        return self->read_upgrade();
      }
      if (self->carry_.compare(0, 12, "HTTP/1.1 101") != 0)
        return self->fail();
      self->carry_.erase(0, end + 4); // what follows is frames already
      ++self->st_.connected;
      if (self->st_.opt.plain)
        self->ready();
      if (self->slow_)
        return;
      self->consume_carry();
      if (!self->ended_)
        self->do_read();
    });
  }

  // -- reading -------------------------------------------------------------------------------

  void do_read() {
    sock_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return self->end(-1);
      self->on_readable();
    });
  }

  void on_readable() {
    auto& buf = read_scratch();
    beast::error_code ec;
    auto n = sock_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block)
      return do_read();
    if (ec)
      return end(-1);
    if (carry_.empty()) {
      auto used = parse(buf.data(), n);
      carry_.assign(buf.data() + used, n - used);
    } else {
      carry_.append(buf.data(), n);
      consume_carry();
    }
    if (!ended_)
      do_read();
  }

  /// Parses the complete frames at the start of carry_ and keeps the rest.
  void consume_carry() {
    auto used = parse(carry_.data(), carry_.size());
    carry_.erase(0, used);
  }

  /// Handles the complete frames at the start of p[0, n); returns the bytes they took.
  size_t parse(const char* p, size_t n) {
    size_t pos = 0;
    while (!ended_ && n - pos >= 2) {
      auto b0 = static_cast<uint8_t>(p[pos]);
      auto b1 = static_cast<uint8_t>(p[pos + 1]);
      size_t header = 2;
      uint64_t len = b1 & 0x7f;
      if (len == 126) {
        if (n - pos < 4)
          break;
        len = (static_cast<uint64_t>(static_cast<uint8_t>(p[pos + 2])) << 8)
              | static_cast<uint8_t>(p[pos + 3]);
        header = 4;
      } else if (len == 127) {
        if (n - pos < 10)
          break;
        len = 0;
        for (size_t i = 0; i < 8; ++i)
          len = (len << 8) | static_cast<uint8_t>(p[pos + 2 + i]);
        header = 10;
      }
      if (b1 & 0x80) { // a masked frame from a server breaks RFC 6455: treat it as the end
        end(-1);
        return n;
      }
      if (n - pos - header < len)
        break;
      on_ws_frame(b0, std::string_view{p + pos + header, static_cast<size_t>(len)});
      pos += header + static_cast<size_t>(len);
    }
    return pos;
  }

  void on_ws_frame(uint8_t b0, std::string_view payload) {
    bool fin = (b0 & 0x80) != 0;
    switch (b0 & 0x0f) {
      case 0x0: // continuation
      case 0x1: // text
        if (!fin || !fragments_.empty()) {
          fragments_.append(payload);
          if (fin) {
            on_message(fragments_);
            fragments_.clear();
          }
        } else {
          on_message(payload);
        }
        break;
      case 0x8: // close
        end(payload.size() >= 2 ? (static_cast<uint8_t>(payload[0]) << 8)
                                    | static_cast<uint8_t>(payload[1])
                                : 1005);
        break;
      case 0x9: // ping: answer with a pong carrying its payload
        queue(client_frame(0xA, payload));
        break;
      default: // pong, binary: nothing to do
        break;
    }
  }

  /// The connection is over: `code` is the close frame's code, or -1 without one.
  void end(int code) {
    if (ended_)
      return;
    ended_ = true;
    if (draining_) {
      close_code_ = code;
      drained_ = true;
    }
  }

  void on_message(std::string_view message) {
    ready();
    if (st_.opt.plain) {
      on_text(message); // one message per frame, verbatim
      return;
    }
    for (size_t pos = 0; pos < message.size();) {
      auto nl = message.find('\n', pos);
      auto line = message.substr(pos, nl == std::string_view::npos ? std::string_view::npos
                                                                   : nl - pos);
      on_line(line);
      pos = nl == std::string_view::npos ? message.size() : nl + 1;
    }
  }

  void on_line(std::string_view line) {
    static constexpr std::string_view key = "\"text\":\"";
    auto t = line.find(key);
    if (t == std::string_view::npos)
      return;
    on_text(line.substr(t + key.size()));
  }

  void on_text(std::string_view text) {
    if (text.substr(0, st_.run_tag.size()) != st_.run_tag)
      return; // history of an earlier run
    unsigned long long pub = 0, n = 0;
    long long sent_at = 0;
    const char* p = text.data() + st_.run_tag.size();
    const char* end = text.data() + text.size();
    if (!parse_number(p, end, pub) || !parse_number(p, end, n) || !parse_number(p, end, sent_at))
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

  // -- writing -------------------------------------------------------------------------------

  void send_next() {
    // "<tag> <publisher> <n> <send-ns> <padding>"
    std::string text = st_.run_tag + " " + std::to_string(id_) + " " + std::to_string(sent_) + " "
                       + std::to_string(now_ns()) + " ";
    if (text.size() < st_.opt.size)
      text.append(st_.opt.size - text.size(), 'x');
    ++sent_;
    queue(client_frame(0x1, text));
  }

  void queue(std::string frame) {
    out_.push_back(std::move(frame));
    if (out_.size() == 1)
      do_write();
  }

  void do_write() {
    asio::async_write(sock_, asio::buffer(out_.front()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec)
                          return;
                        self->out_.pop_front();
                        if (!self->out_.empty())
                          self->do_write();
                      });
  }

public:
  std::vector<long long> last_n_;

private:
  tcp::socket sock_;
  shared_state& st_;
  size_t id_;
  histogram& hist_;
  std::string upgrade_request_;
  std::string carry_;     // bytes read past the last complete frame
  std::string fragments_; // a fragmented message so far
  std::deque<std::string> out_; // a deque: the frame being written never moves
  size_t sent_ = 0;
  uint64_t received_ = 0;
  uint64_t out_of_order_ = 0;
  bool slow_ = false;
  bool ready_ = false;
  bool ended_ = false;
  bool draining_ = false;
  bool drained_ = false;
  int close_code_ = 0;
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

/// The resident set size of a process in KiB, from /proc/PID/status (0 if unknown).
long rss_kib(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.c_str() + 6);
  return 0;
}

/// cpu_seconds summed over `pids` (0 for none).
double cpu_seconds(const std::vector<int>& pids) {
  double sum = 0;
  for (auto pid : pids)
    sum += cpu_seconds(pid);
  return sum;
}

/// rss_kib summed over `pids` (0 for none).
long rss_kib(const std::vector<int>& pids) {
  long sum = 0;
  for (auto pid : pids)
    sum += rss_kib(pid);
  return sum;
}

/// Parses a comma-separated list of integers in [lo, hi] into `out`; false if any is not one.
template <typename T>
bool parse_list(const std::string& text, long lo, long hi, std::vector<T>& out) {
  out.clear();
  for (size_t pos = 0; pos <= text.size();) {
    auto comma = std::min(text.find(',', pos), text.size());
    auto item = text.substr(pos, comma - pos);
    char* end = nullptr;
    long v = item.empty() ? -1 : std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < lo || v > hi)
      return false;
    out.push_back(static_cast<T>(v));
    pos = comma + 1;
  }
  return !out.empty();
}

/// The ports as a JSON array, "[8080,8081]".
std::string ports_json(const options& o) {
  std::string s = "[";
  for (size_t i = 0; i < o.ports.size(); ++i)
    s += (i ? "," : "") + std::to_string(o.ports[i]);
  return s + "]";
}

/// For the tables: " on ports 8080,8081" with more than one port, else "".
std::string ports_text(const options& o) {
  if (o.ports.size() < 2)
    return "";
  auto s = ports_json(o);
  return " on ports " + s.substr(1, s.size() - 2);
}

/// For the tables: " (summed over N servers)" with more than one --server-pid, else "".
std::string pids_text(const options& o) {
  if (o.server_pids.size() < 2)
    return "";
  return " (summed over " + std::to_string(o.server_pids.size()) + " servers)";
}

bool parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--host") o.host = next();
    else if (a == "--port") o.port = static_cast<uint16_t>(std::stoul(next()));
    else if (a == "--scenario") o.scenario = next();
    else if (a == "--protocol") o.plain = next() == "plain";
    else if (a == "--path") o.path = next();
    else if (a == "--sources") o.sources = std::stoul(next());
    else if (a == "--hold") o.hold = std::stod(next());
    else if (a == "--concurrency") o.concurrency = std::max<size_t>(1, std::stoul(next()));
    else if (a == "--clients") o.clients = std::stoul(next());
    else if (a == "--publishers") o.publishers = std::stoul(next());
    else if (a == "--window") o.window = std::stoul(next());
    else if (a == "--messages") o.messages = std::stoul(next());
    else if (a == "--size") o.size = std::stoul(next());
    else if (a == "--threads") o.threads = std::max<size_t>(1, std::stoul(next()));
    else if (a == "--timeout") o.timeout = std::stod(next());
    else if (a == "--ports") { if (!parse_list(next(), 1, 65535, o.ports)) return false; }
    else if (a == "--server-pid") {
      if (!parse_list(next(), 0, 0x3fffffff, o.server_pids)) return false;
      o.server_pids.erase(std::remove(o.server_pids.begin(), o.server_pids.end(), 0),
                          o.server_pids.end()); // 0: none, as before
    }
    else if (a == "--json") o.json = true;
    else if (a == "--chaos") o.chaos = std::stoul(next());
    else if (a == "--rss-growth-mib") o.rss_growth_mib = std::stod(next());
    else if (a == "--chaos-kinds") o.chaos_kinds = next();
    else return false;
  }
  if (o.path.empty())
    o.path = o.plain ? "/" : "/ws";
  if (o.ports.empty())
    o.ports.push_back(o.port);
  bool known = o.scenario == "fanout" || o.scenario == "slow" || o.scenario == "idle"
               || o.scenario == "connect" || o.scenario == "soak";
  return known && o.publishers <= o.clients && o.clients > 0 && o.sources >= 1
         && o.sources <= 254;
}

/// The io_context threads and the connections of one run.
struct run {
  shared_state& st;
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<histogram> hists;
  std::vector<std::shared_ptr<conn>> conns;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  clock_type::time_point deadline;

  explicit run(shared_state& s) : st(s), hists(s.opt.threads) {
    for (size_t t = 0; t < st.opt.threads; ++t)
      iocs.push_back(std::make_unique<asio::io_context>(1));
    for (auto& ioc : iocs)
      guards.push_back(asio::make_work_guard(*ioc));
    for (auto& ioc : iocs)
      threads.emplace_back([&ioc] { ioc->run(); });
    deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                     std::chrono::duration<double>(st.opt.timeout));
  }

  ~run() {
    for (size_t i = 0; i < conns.size(); ++i) {
      auto c = conns[i];
      asio::post(ioc(i), [c] { c->close(); });
    }
    guards.clear();
    for (auto& ioc : iocs)
      ioc->stop();
    for (auto& th : threads)
      th.join();
  }

  asio::io_context& ioc(size_t i) { return *iocs[i % iocs.size()]; }
  bool in_time() const { return clock_type::now() < deadline; }

  /// Adds `n` connections and connects them, at most opt.concurrency in progress at once;
  /// returns once all are ready (or failed) or at the deadline. `slow`: they never read.
  /// Connection i goes to eps[i % eps.size()].
  void connect(size_t n, const std::vector<tcp::endpoint>& eps, bool slow = false) {
    auto first = conns.size();
    for (size_t i = 0; i < n; ++i) {
      auto id = first + i;
      auto c = std::make_shared<conn>(ioc(id), st, slow ? SIZE_MAX : id, hists[id % hists.size()]);
      c->last_n_.assign(st.opt.publishers, -1);
      conns.push_back(c);
    }
    for (size_t i = first; i < conns.size() && in_time(); ++i) {
      auto c = conns[i];
      asio::ip::address_v4::bytes_type b{127, 0, 0, static_cast<unsigned char>(1 + i % st.opt.sources)};
      tcp::endpoint source{asio::ip::address_v4{b}, 0};
      auto ep = eps[i % eps.size()];
      asio::post(ioc(i), [c, ep, source, slow] { c->start(ep, source, slow); });
      // Slow connections never send their first frame: count them at the upgrade.
      auto settled = [&] { return (slow ? st.connected.load() : st.ready.load()) + st.failed; };
      while (i + 1 - settled() >= st.opt.concurrency && in_time())
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    auto target = conns.size();
    while ((slow ? st.connected.load() : st.ready.load()) + st.failed < target && in_time())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

int fanout(shared_state& st, const std::vector<tcp::endpoint>& eps) {
  auto& opt = st.opt;
  st.expected_per_client = opt.publishers * opt.messages;
  bool timed_out = false;
  double secs = 0, cpu0 = 0, cpu1 = 0, connect_s = 0;
  uint64_t received = 0, disorder = 0;
  size_t connected = 0, readers = 0;
  int slow_code = -1;
  long rss_peak = 0;
  histogram all;
  {
    run r{st};
    auto t_connect = clock_type::now();
    r.connect(opt.clients, eps);
    readers = st.connected;
    if (opt.scenario == "slow")
      r.connect(1, eps, true);
    connect_s = std::chrono::duration<double>(clock_type::now() - t_connect).count();
    // Let welcome and history replays drain before the clock starts.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cpu0 = cpu_seconds(opt.server_pids);
    auto t0 = clock_type::now();
    for (size_t i = 0; i < opt.publishers; ++i) {
      auto c = r.conns[i];
      asio::post(r.ioc(i), [c] { c->begin(); });
    }
    while (st.done_clients < readers && r.in_time()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (!opt.server_pids.empty())
        rss_peak = std::max(rss_peak, rss_kib(opt.server_pids));
    }
    auto t1 = clock_type::now();
    cpu1 = cpu_seconds(opt.server_pids);
    timed_out = st.done_clients < readers;
    secs = std::chrono::duration<double>(t1 - t0).count();
    if (opt.scenario == "slow") {
      auto slow = r.conns.back();
      asio::post(r.ioc(r.conns.size() - 1), [slow] { slow->drain_slow(); });
      auto until = clock_type::now() + std::chrono::seconds(5);
      while (!slow->drained() && clock_type::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      slow_code = slow->drained() ? slow->close_code() : 0; // 0: still open after 5 s
    }
    connected = st.connected;
    for (auto& h : r.hists)
      all.merge(h);
    for (size_t i = 0; i < readers; ++i) {
      received += r.conns[i]->received();
      disorder += r.conns[i]->out_of_order();
    }
  }
  uint64_t expected = st.expected_per_client * readers;
  double rate = secs > 0 ? static_cast<double>(received) / secs : 0;
  double cpu_per_delivery_us = received ? (cpu1 - cpu0) * 1e6 / static_cast<double>(received) : 0;
  if (opt.json) {
    std::printf("{\"scenario\":\"%s\",\"clients\":%zu,\"connected\":%zu,\"failed\":%zu,"
                "\"publishers\":%zu,\"window\":%zu,\"size\":%zu,\"expected\":%" PRIu64
                ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"out_of_order\":%" PRIu64
                ",\"seconds\":%.3f,\"deliveries_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"max_ms\":%.3f,\"server_cpu_us_per_delivery\":%.3f,\"server_rss_peak_kib\":%ld,"
                "\"connect_s\":%.3f,\"slow_close_code\":%d,\"timed_out\":%s,\"ports\":%s}\n",
                opt.scenario.c_str(), opt.clients, connected, st.failed.load(), opt.publishers,
                opt.window, opt.size, expected, received, expected - std::min(expected, received),
                disorder, secs, rate, all.quantile(0.5) / 1000, all.quantile(0.99) / 1000,
                all.quantile(1.0) / 1000, cpu_per_delivery_us, rss_peak, connect_s, slow_code,
                timed_out ? "true" : "false", ports_json(opt).c_str());
  } else {
    std::printf("clients %zu (connected %zu, failed %zu in %.2f s), publishers %zu, window %zu, "
                "%zu B%s\n",
                opt.clients, connected, st.failed.load(), connect_s, opt.publishers, opt.window,
                opt.size, ports_text(opt).c_str());
    std::printf("deliveries   %" PRIu64 " of %" PRIu64 " (lost %" PRIu64 ", out of order %" PRIu64
                ")%s\n",
                received, expected, expected - std::min(expected, received), disorder,
                timed_out ? "  TIMED OUT" : "");
    std::printf("rate         %.0f deliveries/s over %.2f s\n", rate, secs);
    std::printf("latency      p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", all.quantile(0.5) / 1000,
                all.quantile(0.99) / 1000, all.quantile(1.0) / 1000);
    if (!opt.server_pids.empty())
      std::printf("server CPU   %.2f s = %.3f us per delivery; peak RSS %ld KiB%s\n", cpu1 - cpu0,
                  cpu_per_delivery_us, rss_peak, pids_text(opt).c_str());
    if (opt.scenario == "slow")
      std::printf("slow reader  %s\n",
                  slow_code > 0    ? ("closed by the server with " + std::to_string(slow_code)).c_str()
                  : slow_code < 0 ? "disconnected by the server (no close frame)"
                                  : "still connected");
  }
  return timed_out || st.failed > 0 ? 1 : 0;
}

/// Connects opt.clients (r.connect); returns how long it took, in seconds, and sets `ready` to
/// how many are ready.
double connect_clients(run& r, const std::vector<tcp::endpoint>& eps, size_t& ready) {
  auto t0 = clock_type::now();
  r.connect(r.st.opt.clients, eps);
  ready = r.st.opt.plain ? r.st.connected.load() : r.st.ready.load();
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

int idle(shared_state& st, const std::vector<tcp::endpoint>& eps) {
  auto& opt = st.opt;
  long before = rss_kib(opt.server_pids), after = 0, end = 0;
  double connect_s = 0;
  size_t ready = 0;
  {
    run r{st};
    connect_s = connect_clients(r, eps, ready);
    std::this_thread::sleep_for(std::chrono::seconds(2)); // let the server settle
    after = rss_kib(opt.server_pids);
    auto until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                        std::chrono::duration<double>(opt.hold));
    while (clock_type::now() < until && r.in_time())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    end = rss_kib(opt.server_pids);
  }
  double per_conn = ready ? static_cast<double>(after - before) * 1024 / static_cast<double>(ready) : 0;
  if (opt.json)
    std::printf("{\"scenario\":\"idle\",\"clients\":%zu,\"ready\":%zu,\"failed\":%zu,"
                "\"connect_s\":%.3f,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
                "\"rss_end_kib\":%ld,\"rss_per_connection_bytes\":%.0f,\"hold_s\":%.1f,"
                "\"ports\":%s}\n",
                opt.clients, ready, st.failed.load(), connect_s, before, after, end, per_conn,
                opt.hold, ports_json(opt).c_str());
  else
    std::printf("idle         %zu of %zu connections held (%zu failed) for %.0f s%s\n"
                "server RSS   %ld KiB before, %ld KiB with them, %ld KiB at the end: %.0f B per "
                "connection%s\n",
                ready, opt.clients, st.failed.load(), opt.hold, ports_text(opt).c_str(), before,
                after, end, per_conn, pids_text(opt).c_str());
  return ready == opt.clients ? 0 : 1;
}

int connect_burst(shared_state& st, const std::vector<tcp::endpoint>& eps) {
  auto& opt = st.opt;
  double secs = 0;
  size_t ready = 0;
  {
    run r{st};
    secs = connect_clients(r, eps, ready);
  }
  double rate = secs > 0 ? static_cast<double>(ready) / secs : 0;
  if (opt.json)
    std::printf("{\"scenario\":\"connect\",\"clients\":%zu,\"concurrency\":%zu,\"ready\":%zu,"
                "\"failed\":%zu,\"seconds\":%.3f,\"connections_per_s\":%.0f,\"ports\":%s}\n",
                opt.clients, opt.concurrency, ready, st.failed.load(), secs, rate,
                ports_json(opt).c_str());
  else
    std::printf("connect      %zu of %zu connections (%zu failed), %zu at a time, in %.2f s: "
                "%.0f connections/s%s\n",
                ready, opt.clients, st.failed.load(), opt.concurrency, secs, rate,
                ports_text(opt).c_str());
  return ready == opt.clients ? 0 : 1;
}


// -- soak ----------------------------------------------------------------------------------------

/// One connection of the soak scenario. Everything runs on the one io_context thread.
class soak_conn : public std::enable_shared_from_this<soak_conn> {
public:
  enum class role { member, publisher, churn, flood, stall, garbage };

  soak_conn(asio::io_context& ioc, role r, uint32_t seed)
    : ws_(ioc), timer_(ioc), role_(r), rng_(seed) {}

  void start(const tcp::endpoint& ep, double lifetime_s) {
    lifetime_s_ = lifetime_s;
    port_ = ep.port();
    auto& sock = beast::get_lowest_layer(ws_).socket();
    beast::error_code ec;
    sock.open(ep.protocol(), ec);
    if (!ec && role_ == role::stall)
      sock.set_option(asio::socket_base::receive_buffer_size(4096), ec);
    if (ec)
      return finish(false);
    beast::get_lowest_layer(ws_).async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return self->finish(false);
      self->ws_.async_handshake("127.0.0.1", "/ws", [self](beast::error_code ec2) {
        if (ec2)
          return self->finish(false);
        self->connected_ = true;
        self->on_open();
      });
    });
  }

  /// Ends a chaotic connection (or, at the end of the run, any): closes the socket.
  void stop() {
    stopping_ = true;
    timer_.cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    if (role_ == role::stall)
      finish(true); // it has no read to end it
  }

  bool finished() const { return finished_; }
  bool well_behaved() const { return role_ == role::member || role_ == role::publisher; }
  /// For well-behaved clients: still connected, and what they saw.
  bool alive() const { return connected_ && !finished_; }
  int64_t first_seq() const { return first_seq_; }
  int64_t last_seq() const { return last_seq_; }
  uint64_t gaps() const { return gaps_; }
  uint64_t messages() const { return messages_; }
  const std::string& end() const { return end_; }
  uint16_t port() const { return port_; }
  void stop_publishing() { publishing_ = false; }

private:
  void on_open() {
    switch (role_) {
      case role::member:
        return read();
      case role::publisher:
        publishing_ = true;
        read();
        return tick(100);
      case role::churn:
        read();
        if (rng_() % 2 == 0)
          send("{\"type\":\"say\",\"room\":\"lobby\",\"text\":\"churn says hi\"}");
        return expire();
      case role::flood:
        read();
        for (int i = 0; i < 200; ++i)
          send("{\"type\":\"say\",\"room\":\"lobby\",\"text\":\"flood " + std::to_string(i) + "\"}");
        return expire();
      case role::stall:
        return expire(); // never reads
      case role::garbage: {
        read();
        switch (rng_() % 4) {
          case 0: send("{not json"); break;
          case 1: send("{\"type\":\"say\",\"room\":\"lobby\",\"text\":5}"); break;
          case 2: send(std::string{"{\"type\":\"say\",\"room\":\"lobby\",\"text\":\"\xC3\x28\"}"}); break;
          default: binary_ = true; send("binary frame"); break;
        }
        return expire();
      }
    }
  }

  void expire() {
    timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(lifetime_s_ * 1000)));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->stop();
    });
  }

  void tick(int ms) {
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->publishing_ || self->stopping_)
        return;
      self->send("{\"type\":\"say\",\"room\":\"lobby\",\"text\":\"soak " + std::to_string(++self->said_)
                 + "\"}");
      self->tick(100);
    });
  }

  void send(std::string text) {
    out_.push_back(std::move(text));
    if (out_.size() == 1)
      write();
  }

  void write() {
    ws_.binary(binary_);
    ws_.async_write(asio::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec,
                                                                            size_t) {
      if (ec)
        return; // the read side reports the end
      self->out_.pop_front();
      if (!self->out_.empty())
        self->write();
    });
  }

  void read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        if (ec == websocket::error::closed)
          self->end_ = "closed by the server with " + std::to_string(self->ws_.reason().code);
        else
          self->end_ = ec.message();
        return self->finish(true);
      }
      self->on_frame();
      self->buf_.consume(self->buf_.size());
      self->read();
    });
  }

  void on_frame() {
    if (!well_behaved())
      return;
    auto data = buf_.cdata();
    std::string_view frame{static_cast<const char*>(data.data()), data.size()};
    for (size_t pos = 0; pos < frame.size();) {
      auto nl = frame.find('\n', pos);
      auto line = frame.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? frame.size() : nl + 1;
      if (line.find("\"type\":\"message\"") == std::string_view::npos)
        continue;
      auto at = line.find("\"seq\":");
      if (at == std::string_view::npos)
        continue;
      auto seq = std::strtoll(std::string{line.substr(at + 6, 24)}.c_str(), nullptr, 10);
      if (first_seq_ < 0)
        first_seq_ = seq;
      else if (seq != last_seq_ + 1)
        ++gaps_;
      last_seq_ = seq;
      ++messages_;
    }
  }

  void finish(bool) {
    finished_ = true;
    timer_.cancel();
    if (end_.empty())
      end_ = stopping_ ? "stopped" : "failed to connect";
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer timer_;
  role role_;
  std::minstd_rand rng_;
  beast::flat_buffer buf_;
  std::deque<std::string> out_; // the string being written never moves
  double lifetime_s_ = 0;
  uint16_t port_ = 0;
  bool connected_ = false, finished_ = false, stopping_ = false, publishing_ = false;
  bool binary_ = false;
  uint64_t said_ = 0, gaps_ = 0, messages_ = 0;
  int64_t first_seq_ = -1, last_seq_ = -1;
  std::string end_;
};

int soak(shared_state& st, const std::vector<tcp::endpoint>& eps) {
  auto& opt = st.opt;
  // The kinds of chaotic connection, drawn from at random (a name listed twice comes twice as
  // often).
  std::vector<soak_conn::role> kinds;
  for (size_t pos = 0; pos <= opt.chaos_kinds.size();) {
    auto comma = std::min(opt.chaos_kinds.find(',', pos), opt.chaos_kinds.size());
    auto name = opt.chaos_kinds.substr(pos, comma - pos);
    if (name == "churn") kinds.push_back(soak_conn::role::churn);
    else if (name == "flood") kinds.push_back(soak_conn::role::flood);
    else if (name == "stall") kinds.push_back(soak_conn::role::stall);
    else if (name == "garbage") kinds.push_back(soak_conn::role::garbage);
    else if (!name.empty()) {
      std::cerr << "loadgen: unknown chaos kind " << name << " (churn, flood, stall, garbage)\n";
      return 2;
    }
    pos = comma + 1;
  }
  asio::io_context ioc{1};
  auto guard = asio::make_work_guard(ioc);
  std::thread io{[&] { ioc.run(); }};
  std::minstd_rand rng{static_cast<uint32_t>(now_ns())};
  auto on_io = [&](auto f) {
    std::promise<void> done;
    asio::post(ioc, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  };
  auto deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                        std::chrono::duration<double>(opt.timeout));
  // The well-behaved clients first, all connected and joined before the chaos starts.
  std::vector<std::shared_ptr<soak_conn>> good;
  on_io([&] {
    for (size_t i = 0; i < opt.clients; ++i) {
      auto r = i < opt.publishers ? soak_conn::role::publisher : soak_conn::role::member;
      good.push_back(std::make_shared<soak_conn>(ioc, r, static_cast<uint32_t>(rng())));
      good.back()->start(eps[i % eps.size()], 0);
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  long rss_before = rss_kib(opt.server_pids), rss_peak = rss_before;
  // The chaos: every 20 ms, a new chaotic connection while fewer than opt.chaos are open.
  std::vector<std::shared_ptr<soak_conn>> chaos;
  std::array<size_t, 6> started{};
  size_t chaos_started = 0; // spreads the chaotic connections over the ports
  auto until = std::min(deadline, clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                        std::chrono::duration<double>(opt.hold)));
  while (clock_type::now() < until) {
    on_io([&] {
      chaos.erase(std::remove_if(chaos.begin(), chaos.end(),
                                 [](const auto& c) { return c->finished(); }),
                  chaos.end());
      if (chaos.size() >= opt.chaos)
        return;
      if (kinds.empty())
        return;
      auto kind = kinds[rng() % kinds.size()];
      ++started[static_cast<size_t>(kind)];
      chaos.push_back(std::make_shared<soak_conn>(ioc, kind, static_cast<uint32_t>(rng())));
      chaos.back()->start(eps[chaos_started++ % eps.size()],
                          0.2 + static_cast<double>(rng() % 3000) / 1000.0);
    });
    if (!opt.server_pids.empty())
      rss_peak = std::max(rss_peak, rss_kib(opt.server_pids));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The end: the chaos goes, the publishers stop; then everyone must reach the last seq.
  on_io([&] {
    for (auto& c : chaos)
      c->stop();
    for (auto& g : good)
      g->stop_publishing();
  });
  auto settle = clock_type::now() + std::chrono::seconds(10);
  int64_t last = -1;
  bool caught_up = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  while (!caught_up && clock_type::now() < std::min(settle, deadline + std::chrono::seconds(10))) {
    on_io([&] {
      for (auto& g : good)
        last = std::max(last, g->last_seq());
      caught_up = std::all_of(good.begin(), good.end(),
                              [&](const auto& g) { return g->last_seq() == last; });
    });
    if (!caught_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2)); // let the server free what it held
  long rss_after = rss_kib(opt.server_pids);
  size_t alive = 0, gapless = 0;
  uint64_t messages = 0;
  std::string first_problem;
  on_io([&] {
    for (auto& g : good) {
      alive += g->alive() ? 1 : 0;
      gapless += g->gaps() == 0 && g->last_seq() == last ? 1 : 0;
      messages += g->messages();
      if (first_problem.empty() && (!g->alive() || g->gaps() > 0 || g->last_seq() != last))
        first_problem = "a client "
                        + (eps.size() > 1 ? "on port " + std::to_string(g->port()) + " " : "")
                        + std::string{g->alive() ? "still connected" : g->end()}
                        + ", seqs " + std::to_string(g->first_seq()) + ".."
                        + std::to_string(g->last_seq()) + " of .." + std::to_string(last)
                        + ", gaps " + std::to_string(g->gaps());
    }
    for (auto& g : good)
      g->stop();
  });
  guard.reset();
  ioc.stop();
  io.join();
  double growth_mib = static_cast<double>(rss_after - rss_before) / 1024.0;
  bool ok = alive == good.size() && gapless == good.size() && last > 0
            && (opt.rss_growth_mib <= 0 || growth_mib <= opt.rss_growth_mib);
  size_t chaos_total = 0;
  for (auto n : started)
    chaos_total += n;
  if (opt.json)
    std::printf("{\"scenario\":\"soak\",\"clients\":%zu,\"alive\":%zu,\"complete\":%zu,"
                "\"last_seq\":%" PRId64 ",\"messages\":%" PRIu64 ",\"chaos\":%zu,\"churn\":%zu,"
                "\"flood\":%zu,\"stall\":%zu,\"garbage\":%zu,\"rss_before_kib\":%ld,"
                "\"rss_peak_kib\":%ld,\"rss_after_kib\":%ld,\"ports\":%s,\"ok\":%s%s%s%s}\n",
                good.size(), alive, gapless, last, messages, chaos_total,
                started[static_cast<size_t>(soak_conn::role::churn)],
                started[static_cast<size_t>(soak_conn::role::flood)],
                started[static_cast<size_t>(soak_conn::role::stall)],
                started[static_cast<size_t>(soak_conn::role::garbage)], rss_before, rss_peak,
                rss_after, ports_json(opt).c_str(), ok ? "true" : "false",
                first_problem.empty() ? "" : ",\"problem\":\"", first_problem.c_str(),
                first_problem.empty() ? "" : "\"");
  else
    std::printf("soak         %zu well-behaved clients%s: %zu connected at the end, %zu with "
                "every message up to seq %" PRId64 " (%" PRIu64 " deliveries)\n"
                "chaos        %zu connections: %zu join/leave, %zu floods, %zu never read, %zu "
                "garbage\n"
                "server RSS   %ld KiB before, %ld KiB peak, %ld KiB after (%+.1f MiB)%s\n%s%s",
                good.size(), ports_text(opt).c_str(), alive, gapless, last, messages, chaos_total,
                started[static_cast<size_t>(soak_conn::role::churn)],
                started[static_cast<size_t>(soak_conn::role::flood)],
                started[static_cast<size_t>(soak_conn::role::stall)],
                started[static_cast<size_t>(soak_conn::role::garbage)], rss_before, rss_peak,
                rss_after, growth_mib, pids_text(opt).c_str(), first_problem.c_str(),
                first_problem.empty() ? "" : "\n");
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  shared_state st;
  if (!parse_args(argc, argv, st.opt)) {
    std::cerr
      << "usage: loadgen [--scenario fanout|slow|idle|connect|soak] [--host 127.0.0.1]\n"
         "               [--port 8080 | --ports 8080,8081,... (clients round-robin)]\n"
         "               [--protocol actorchat|plain] [--path /ws] [--sources N<=254]\n"
         "               [--clients N] [--publishers P] [--window W (0 = none)]\n"
         "               [--messages M per publisher] [--size BYTES] [--hold SECONDS]\n"
         "               [--concurrency C] [--threads T] [--timeout SECONDS]\n"
         "               [--server-pid PID[,PID...] (CPU and RSS summed)] [--json]\n"
         "               [--chaos N] [--rss-growth-mib M]\n"
         "               [--chaos-kinds churn,flood,stall,garbage]\n";
    return 2;
  }
  auto& opt = st.opt;
  auto addr = asio::ip::make_address(opt.host);
  if (!addr.is_loopback()) {
    std::cerr << "loadgen: only loopback targets (127.0.0.0/8, ::1) are allowed\n";
    return 2;
  }
  if (opt.sources > 1 && !addr.is_v4()) {
    std::cerr << "loadgen: --sources needs an IPv4 target\n";
    return 2;
  }
  st.run_tag = "L" + std::to_string(now_ns() % 1000000007);
  std::vector<tcp::endpoint> eps; // client i goes to eps[i % eps.size()]
  for (auto port : opt.ports)
    eps.emplace_back(addr, port);
  if (opt.scenario == "idle")
    return idle(st, eps);
  if (opt.scenario == "connect")
    return connect_burst(st, eps);
  if (opt.scenario == "soak")
    return soak(st, eps);
  return fanout(st, eps);
}
