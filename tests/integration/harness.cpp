// The integration-test harness (see harness.hpp). This is the only Beast translation unit of the
// test executable; the suites see none of it.
#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef ACTORCHAT_SOURCE_DIR
#  error "ACTORCHAT_SOURCE_DIR must be defined (the source tree, for web/)"
#endif
#ifndef ACTORCHAT_SERVER_BINARY
#  error "ACTORCHAT_SERVER_BINARY must be defined (the actorchat executable under test)"
#endif

namespace actorchat::itest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

/// Time left until `deadline`, never negative.
milliseconds remaining(steady::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
  return left.count() > 0 ? left : milliseconds{0};
}

/// Runs `ioc` until `done()` holds or `deadline` passes; false if `done()` still doesn't hold.
/// Returns early when the context runs out of work (nothing could make `done()` true then).
template <class Predicate>
bool run_until(asio::io_context& ioc, Predicate done, steady::time_point deadline) {
  while (!done()) {
    auto now = steady::now();
    if (now >= deadline)
      return false;
    if (ioc.stopped())
      ioc.restart();
    if (ioc.run_one_for(deadline - now) == 0 && ioc.stopped())
      return done();
  }
  return true;
}

/// Completion state of one async operation, shared with its handler so that a handler that runs
/// after its caller gave up writes into live memory.
struct op_state {
  bool done = false;
  beast::error_code ec;
};

/// A completion handler that records the result in `state`.
auto record(std::shared_ptr<op_state> state) {
  return [state](beast::error_code ec, auto&&...) {
    state->ec = ec;
    state->done = true;
  };
}

/// Starts an operation through `start(handler)` and runs `ioc` until it completes or `deadline`
/// passes; returns its error, or asio::error::timed_out.
template <class Start>
beast::error_code await(asio::io_context& ioc, Start start, steady::time_point deadline) {
  auto state = std::make_shared<op_state>();
  start(record(state));
  if (!run_until(ioc, [&] { return state->done; }, deadline))
    return asio::error::timed_out;
  return state->ec;
}

std::string quote_arg(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\"'\\") == std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  return out + "'";
}

} // namespace

// -- paths ---------------------------------------------------------------------------------------

std::string server_binary() {
  if (auto env = std::getenv("ACTORCHAT_SERVER"); env != nullptr && *env != '\0')
    return env;
  return ACTORCHAT_SERVER_BINARY;
}

std::string source_dir() { return ACTORCHAT_SOURCE_DIR; }

std::string web_root() { return std::filesystem::absolute(source_dir() + "/web").string(); }

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// -- temp_dir ------------------------------------------------------------------------------------

temp_dir::temp_dir() {
  std::string base = "/tmp";
  if (auto env = std::getenv("TMPDIR"); env != nullptr && *env != '\0')
    base = env;
  std::string pattern = base + "/actorchat-it-XXXXXX";
  std::vector<char> buf{pattern.begin(), pattern.end()};
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed for " + pattern + ": " + std::strerror(errno));
  path_ = buf.data();
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::file(const std::string& name) const { return path_ + "/" + name; }

std::string temp_dir::write(const std::string& name, const std::string& content) const {
  auto path = file(name);
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << content;
  if (!out)
    throw std::runtime_error("cannot write " + path);
  return path;
}

// -- server_process ------------------------------------------------------------------------------

namespace {

/// The live server_process objects, for server_process::dump_all.
std::mutex live_mtx;
std::vector<const server_process*> live_processes;

void write_fd(int fd, std::string_view text) {
  while (!text.empty()) {
    auto n = ::write(fd, text.data(), text.size());
    if (n <= 0)
      return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

} // namespace

void server_process::dump_all(int fd) noexcept {
  if (!live_mtx.try_lock())
    return;
  for (const auto* proc : live_processes) {
    write_fd(fd, "---- stderr of ");
    write_fd(fd, proc->command_line_);
    write_fd(fd, " ----\n");
    if (proc->mtx_.try_lock()) {
      write_fd(fd, proc->err_);
      proc->mtx_.unlock();
    } else {
      write_fd(fd, "(busy)\n");
    }
    write_fd(fd, "---- end ----\n");
  }
  live_mtx.unlock();
}

server_process::server_process(std::string program, std::vector<std::string> args,
                               std::string cwd) {
  std::vector<std::string> words;
  words.push_back(std::move(program));
  for (auto& arg : args)
    words.push_back(std::move(arg));
  for (auto& word : words)
    command_line_ += (command_line_.empty() ? "" : " ") + quote_arg(word);
  command_line_ += "   (cwd " + cwd + ")";
  std::vector<char*> argv;
  for (auto& word : words)
    argv.push_back(word.data());
  argv.push_back(nullptr);
  bool search_path = words.front().find('/') == std::string::npos;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"pipe2: "} + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error(std::string{"pipe2: "} + std::strerror(errno));
  }
  auto parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Child: async-signal-safe calls only until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
      ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    // Don't leak the tests' sockets and pipes: a leaked client socket would stay open in the
    // server and hide our closes from it.
    if (::close_range(3, ~0U, 0) != 0)
      for (int fd = 3; fd < 4096; ++fd)
        ::close(fd);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL); // an ignored signal would stay ignored across exec
    if (::chdir(cwd.c_str()) != 0) {
      static constexpr char msg[] = "server_process: chdir failed\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof(msg) - 1);
      ::_exit(127);
    }
    if (search_path)
      ::execvp(argv[0], argv.data());
    else
      ::execv(argv[0], argv.data());
    static constexpr char msg[] = "server_process: exec failed\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid_ < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  }
  drainer_ = std::thread{[this, out = out_pipe[0], err = err_pipe[0]] { drain(out, err); }};
  std::lock_guard<std::mutex> guard{live_mtx};
  live_processes.push_back(this);
}

server_process::~server_process() {
  {
    std::lock_guard<std::mutex> guard{live_mtx};
    live_processes.erase(std::find(live_processes.begin(), live_processes.end(), this));
  }
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    wait_exit(milliseconds{10000});
  }
  stop_ = true;
  if (drainer_.joinable())
    drainer_.join();
}

void server_process::drain(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out_, &err_};
  int open_count = 2;
  char buf[8192];
  while (open_count > 0 && !stop_) {
    if (::poll(fds, 2, 100) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      auto n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        std::lock_guard<std::mutex> guard{mtx_};
        sinks[i]->append(buf, static_cast<size_t>(n));
        cv_.notify_all();
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1; // poll ignores negative descriptors
        --open_count;
      }
    }
  }
  for (auto& pfd : fds)
    if (pfd.fd >= 0)
      ::close(pfd.fd);
  std::lock_guard<std::mutex> guard{mtx_};
  drained_ = true;
  cv_.notify_all();
}

bool server_process::wait_listening(milliseconds timeout) {
  static constexpr std::string_view marker = "INFO listening url=";
  std::string url;
  std::unique_lock<std::mutex> guard{mtx_};
  auto found = [&] {
    auto pos = err_.find(marker);
    if (pos == std::string::npos)
      return false;
    auto begin = pos + marker.size();
    auto eol = err_.find('\n', begin);
    if (eol == std::string::npos)
      return false; // the line isn't complete yet
    auto end = err_.find_first_of(" \t\r\n", begin);
    url = err_.substr(begin, end - begin);
    return true;
  };
  if (!cv_.wait_for(guard, timeout, [&] { return found() || drained_; }) || url.empty())
    return false;
  guard.unlock();
  auto colon = url.rfind(':');
  if (colon == std::string::npos || url.find("://") == std::string::npos)
    return false;
  auto port = std::strtoul(url.c_str() + colon + 1, nullptr, 10);
  if (port == 0 || port > 65535)
    return false;
  url_ = url;
  port_ = static_cast<uint16_t>(port);
  return true;
}

bool server_process::wait_stderr(std::string_view needle, milliseconds timeout) {
  std::unique_lock<std::mutex> guard{mtx_};
  return cv_.wait_for(guard, timeout, [&] {
    return err_.find(needle) != std::string::npos || drained_;
  }) && err_.find(needle) != std::string::npos;
}

void server_process::signal(int sig) {
  if (pid_ > 0 && !status_)
    ::kill(pid_, sig);
}

std::optional<int> server_process::wait_exit(milliseconds timeout) {
  if (status_)
    return status_;
  if (pid_ <= 0)
    return std::nullopt;
  auto deadline = steady::now() + timeout;
  auto reap = [this] {
    int status = 0;
    auto r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      if (WIFEXITED(status))
        status_ = WEXITSTATUS(status);
      else if (WIFSIGNALED(status))
        status_ = 128 + WTERMSIG(status);
      else
        status_ = 255;
      return true;
    }
    return false;
  };
  {
    // The pipes reach EOF when the child ends, which wakes us without polling.
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_until(guard, deadline, [this] { return drained_; });
  }
  // A child may close its pipes early or a grandchild may hold them: poll for the rest.
  while (!reap()) {
    if (steady::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(milliseconds{2});
  }
  // Let the drain thread collect the last output.
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait_for(guard, milliseconds{1000}, [this] { return drained_; });
  return status_;
}

std::string server_process::stderr_text() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return err_;
}

std::string server_process::stdout_text() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return out_;
}

std::optional<int> run_command(std::string program, std::vector<std::string> args,
                               const std::string& cwd, milliseconds timeout, std::string* err) {
  server_process proc{std::move(program), std::move(args), cwd};
  auto status = proc.wait_exit(timeout);
  if (err != nullptr)
    *err = proc.stderr_text();
  return status;
}

std::optional<tls_files> make_self_signed_cert(const temp_dir& dir, std::string* err) {
  tls_files files{dir.file("cert.pem"), dir.file("key.pem")};
  std::string output;
  auto status = run_command("openssl",
                            {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                             files.key, "-out", files.cert, "-days", "1", "-subj",
                             "/CN=localhost"},
                            dir.path(), milliseconds{60000}, &output);
  if (status != 0 || !read_file(files.cert) || !read_file(files.key)) {
    if (err != nullptr)
      *err = "openssl req failed (status " + (status ? std::to_string(*status) : "timeout")
             + "): " + output;
    return std::nullopt;
  }
  return files;
}

// -- JSON helpers --------------------------------------------------------------------------------

std::string get_string(const boost::json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string())
    return {};
  return std::string{it->value().get_string()};
}

std::optional<int64_t> get_int(const boost::json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end())
    return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64())
    return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v.get_uint64());
  return std::nullopt;
}

// -- ws_client -----------------------------------------------------------------------------------

std::string ws_frame::describe() const {
  switch (what) {
    case kind::text:
      return "text(" + std::to_string(data.size()) + " bytes)";
    case kind::binary:
      return "binary(" + std::to_string(data.size()) + " bytes)";
    case kind::closed:
      return "closed(" + std::to_string(close_code) + ")";
    case kind::timeout:
      return "timeout";
    default:
      return "error(" + error + ")";
  }
}

/// The Beast side of ws_client: one private io_context, a plain or TLS stream, and the frames and
/// objects read but not yet handed out. Handlers run only inside its run_until calls.
struct ws_client::impl {
  using plain_stream = websocket::stream<beast::tcp_stream>;
  using tls_stream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

  asio::io_context ioc;
  ssl::context ssl_ctx{ssl::context::tls_client};
  std::unique_ptr<plain_stream> plain;
  std::unique_ptr<tls_stream> secure;
  beast::flat_buffer buffer;
  bool open = false;
  bool read_pending = false;
  bool write_pending = false;
  std::deque<ws_frame> frames;             ///< completed reads not yet handed out
  std::deque<boost::json::object> objects; ///< parsed from frames, not yet handed out
  std::optional<uint16_t> close_code;
  size_t pings = 0;
  std::string last_error;

  impl() { ssl_ctx.set_verify_mode(ssl::verify_none); }

  ~impl() { abort_io(); }

  /// Closes the socket and lets the aborted handlers (which point at us) run now, bounded.
  void abort_io() {
    if (!has_stream())
      return;
    with_stream([](auto& ws) {
      beast::error_code ec;
      beast::get_lowest_layer(ws).socket().close(ec);
    });
    ioc.restart();
    ioc.run_for(std::chrono::seconds{2});
  }

  bool has_stream() const { return plain || secure; }

  template <class F>
  void with_stream(F&& f) {
    if (secure)
      f(*secure);
    else
      f(*plain);
  }

  bool fail(std::string what) {
    last_error = std::move(what);
    return false;
  }

  bool connect(uint16_t port, const ws_options& opts) {
    abort_io(); // drop any earlier connection first
    plain.reset();
    secure.reset();
    buffer.consume(buffer.size());
    frames.clear();
    objects.clear();
    close_code.reset();
    open = read_pending = write_pending = false;
    pings = 0;
    ioc.restart();
    if (opts.tls)
      secure = std::make_unique<tls_stream>(ioc, ssl_ctx);
    else
      plain = std::make_unique<plain_stream>(ioc);
    auto deadline = steady::now() + opts.timeout;
    bool ok = false;
    with_stream([&](auto& ws) { ok = connect_stream(ws, port, opts, deadline); });
    if (!ok)
      abort_io();
    open = ok;
    return ok;
  }

  template <class Stream>
  bool connect_stream(Stream& ws, uint16_t port, const ws_options& opts,
                      steady::time_point deadline) {
    auto& tcp_layer = beast::get_lowest_layer(ws);
    beast::error_code ec;
    tcp_layer.socket().open(tcp::v4(), ec);
    if (ec)
      return fail("socket: " + ec.message());
    if (opts.receive_buffer > 0) {
      tcp_layer.socket().set_option(asio::socket_base::receive_buffer_size{opts.receive_buffer},
                                    ec);
      if (ec)
        return fail("SO_RCVBUF: " + ec.message());
    }
    tcp::endpoint ep{asio::ip::address_v4::loopback(), port};
    ec = await(ioc, [&](auto handler) { tcp_layer.async_connect(ep, std::move(handler)); },
               deadline);
    if (ec)
      return fail("connect to port " + std::to_string(port) + ": " + ec.message());
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      ec = await(ioc,
                 [&](auto handler) {
                   ws.next_layer().async_handshake(ssl::stream_base::client, std::move(handler));
                 },
                 deadline);
      if (ec)
        return fail("TLS handshake: " + ec.message());
    }
    ws.auto_fragment(false);
    ws.read_message_max(64 * 1024 * 1024);
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::user_agent, "actorchat-integration-tests");
    }));
    ws.control_callback([this](websocket::frame_type kind, std::string_view) {
      if (kind == websocket::frame_type::ping)
        ++pings;
    });
    auto host = "127.0.0.1:" + std::to_string(port);
    ec = await(ioc,
               [&](auto handler) { ws.async_handshake(host, opts.target, std::move(handler)); },
               deadline);
    if (ec)
      return fail("WebSocket upgrade: " + ec.message());
    return true;
  }

  /// Starts a read whose result lands in `frames`.
  void start_read() {
    read_pending = true;
    with_stream([this](auto& ws) {
      ws.async_read(buffer, [this, &ws](beast::error_code ec, size_t) {
        read_pending = false;
        ws_frame f;
        if (!ec) {
          f.what = ws.got_text() ? ws_frame::kind::text : ws_frame::kind::binary;
          f.data = beast::buffers_to_string(buffer.data());
          buffer.consume(buffer.size());
        } else if (ec == websocket::error::closed) {
          f.what = ws_frame::kind::closed;
          f.close_code = static_cast<uint16_t>(ws.reason().code);
          close_code = f.close_code;
          open = false;
        } else {
          f.what = ws_frame::kind::error;
          f.error = ec.message();
          open = false;
        }
        frames.push_back(std::move(f));
      });
    });
  }

  ws_frame read_frame(milliseconds timeout) {
    if (frames.empty()) {
      if (!has_stream() || (!open && !read_pending)) {
        ws_frame f;
        if (close_code) {
          f.what = ws_frame::kind::closed;
          f.close_code = *close_code;
        } else {
          f.what = ws_frame::kind::error;
          f.error = "not connected";
        }
        return f;
      }
      if (!read_pending)
        start_read();
      if (!run_until(ioc, [this] { return !frames.empty(); }, steady::now() + timeout))
        return ws_frame{}; // timeout; the read stays pending
    }
    auto f = std::move(frames.front());
    frames.pop_front();
    return f;
  }

  /// Splits a text frame into objects; false (and last_error) if a line is not a JSON object.
  bool split(const std::string& data) {
    size_t begin = 0;
    while (begin <= data.size()) {
      auto end = data.find('\n', begin);
      if (end == std::string::npos)
        end = data.size();
      std::string_view line{data.data() + begin, end - begin};
      begin = end + 1;
      if (line.empty() || line == "\r")
        continue;
      boost::json::error_code ec;
      auto value = boost::json::parse(line, ec);
      if (ec || !value.is_object())
        return fail("not a JSON object: " + std::string{line.substr(0, 200)});
      objects.push_back(std::move(value.get_object()));
    }
    return true;
  }

  std::optional<boost::json::object> read_object(milliseconds timeout) {
    auto deadline = steady::now() + timeout;
    while (objects.empty()) {
      auto f = read_frame(remaining(deadline));
      switch (f.what) {
        case ws_frame::kind::text:
          if (!split(f.data))
            return std::nullopt;
          break;
        case ws_frame::kind::binary:
          fail("unexpected binary frame (" + std::to_string(f.data.size()) + " bytes)");
          return std::nullopt;
        default:
          fail(f.describe());
          return std::nullopt;
      }
    }
    auto obj = std::move(objects.front());
    objects.pop_front();
    return obj;
  }

  bool write(std::string_view data, bool binary, milliseconds timeout) {
    if (!has_stream() || !open)
      return fail("send: not connected");
    if (write_pending)
      return fail("send: an earlier write is still pending");
    auto owned = std::make_shared<std::string>(data);
    auto state = std::make_shared<op_state>();
    write_pending = true;
    with_stream([&](auto& ws) {
      ws.binary(binary);
      ws.async_write(asio::buffer(*owned),
                     [this, owned, state](beast::error_code ec, size_t) {
                       write_pending = false;
                       state->ec = ec;
                       state->done = true;
                     });
    });
    if (!run_until(ioc, [&] { return state->done; }, steady::now() + timeout))
      return fail("send: timeout");
    if (state->ec)
      return fail("send: " + state->ec.message());
    return true;
  }

  bool close(uint16_t code, milliseconds timeout) {
    if (!has_stream() || !open)
      return fail("close: not connected");
    auto deadline = steady::now() + timeout;
    beast::error_code ec;
    with_stream([&](auto& ws) {
      ec = await(ioc,
                 [&](auto handler) {
                   ws.async_close(websocket::close_reason{code}, std::move(handler));
                 },
                 deadline);
    });
    open = false;
    if (ec)
      return fail("close: " + ec.message());
    return true;
  }
};

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}

ws_client::~ws_client() = default;

ws_client::ws_client(ws_client&&) noexcept = default;

ws_client& ws_client::operator=(ws_client&&) noexcept = default;

bool ws_client::connect(uint16_t port, const ws_options& opts) {
  return impl_->connect(port, opts);
}

bool ws_client::send(std::string_view text, milliseconds timeout) {
  return impl_->write(text, false, timeout);
}

bool ws_client::send_binary(std::string_view data, milliseconds timeout) {
  return impl_->write(data, true, timeout);
}

ws_frame ws_client::read_frame(milliseconds timeout) { return impl_->read_frame(timeout); }

std::optional<boost::json::object> ws_client::read_object(milliseconds timeout) {
  return impl_->read_object(timeout);
}

std::optional<boost::json::object> ws_client::read_message(milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  for (;;) {
    auto obj = impl_->read_object(remaining(deadline));
    if (!obj || type_of(*obj) == "message")
      return obj;
  }
}

ws_frame ws_client::read_until_close(milliseconds timeout, size_t max_frames,
                                     std::vector<boost::json::object>* seen) {
  auto deadline = steady::now() + timeout;
  if (seen != nullptr)
    for (auto& obj : impl_->objects)
      seen->push_back(std::move(obj));
  impl_->objects.clear();
  for (size_t i = 0; i < max_frames; ++i) {
    auto f = impl_->read_frame(remaining(deadline));
    if (f.what == ws_frame::kind::text) {
      if (seen != nullptr) {
        impl_->split(f.data); // a line that isn't JSON is skipped here
        for (auto& obj : impl_->objects)
          seen->push_back(std::move(obj));
      }
      impl_->objects.clear();
      continue;
    }
    if (f.what == ws_frame::kind::binary)
      continue;
    impl_->last_error = f.describe();
    return f;
  }
  ws_frame f;
  f.what = ws_frame::kind::error;
  f.error = "no close within " + std::to_string(max_frames) + " frames";
  impl_->last_error = f.error;
  return f;
}

bool ws_client::close(uint16_t code, milliseconds timeout) {
  return impl_->close(code, timeout);
}

bool ws_client::is_open() const { return impl_->open; }

std::optional<uint16_t> ws_client::close_code() const { return impl_->close_code; }

size_t ws_client::pings_received() const { return impl_->pings; }

const std::string& ws_client::last_error() const { return impl_->last_error; }

// -- HTTP ----------------------------------------------------------------------------------------

namespace {

/// On scope exit, closes the stream's socket and runs `ioc` briefly, so that an operation left
/// pending by a timeout completes while what it references still exists.
template <class Stream>
struct abort_on_exit {
  asio::io_context& ioc;
  Stream& stream;
  ~abort_on_exit() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
    ioc.restart();
    ioc.run_for(milliseconds{2000}); // returns as soon as nothing is pending
  }
};

template <class Stream>
http_result exchange(asio::io_context& ioc, Stream& stream, uint16_t port,
                     std::string_view method, std::string_view target,
                     steady::time_point deadline) {
  http_result result;
  http::request<http::string_body> req;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  abort_on_exit<Stream> guard{ioc, stream}; // declared last: runs while the above exist
  if (auto verb = http::string_to_verb(method); verb != http::verb::unknown)
    req.method(verb);
  else
    req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "actorchat-integration-tests");
  req.set(http::field::connection, "close");
  req.prepare_payload();
  auto ec = await(ioc, [&](auto handler) { http::async_write(stream, req, std::move(handler)); },
                  deadline);
  if (ec) {
    result.error = "write request: " + ec.message();
    return result;
  }
  parser.body_limit(64 * 1024 * 1024);
  ec = await(ioc,
             [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); },
             deadline);
  if (ec) {
    result.error = "read response: " + ec.message();
    return result;
  }
  const auto& res = parser.get();
  result.status = static_cast<int>(res.result_int());
  result.content_type = std::string{res[http::field::content_type]};
  result.body = res.body();
  return result;
}

} // namespace

http_result http_request(uint16_t port, std::string_view method, std::string_view target,
                         bool tls, milliseconds timeout) {
  asio::io_context ioc;
  auto deadline = steady::now() + timeout;
  tcp::endpoint ep{asio::ip::address_v4::loopback(), port};
  http_result result;
  auto connect = [&](beast::tcp_stream& s) {
    auto ec = await(ioc, [&](auto handler) { s.async_connect(ep, std::move(handler)); },
                    deadline);
    if (ec)
      result.error = "connect to port " + std::to_string(port) + ": " + ec.message();
    return !ec;
  };
  if (tls) {
    ssl::context ctx{ssl::context::tls_client};
    ctx.set_verify_mode(ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
    abort_on_exit<beast::ssl_stream<beast::tcp_stream>> guard{ioc, stream};
    if (!connect(beast::get_lowest_layer(stream)))
      return result;
    auto ec = await(ioc,
                    [&](auto handler) {
                      stream.async_handshake(ssl::stream_base::client, std::move(handler));
                    },
                    deadline);
    if (ec) {
      result.error = "TLS handshake: " + ec.message();
      return result;
    }
    return exchange(ioc, stream, port, method, target, deadline);
  }
  beast::tcp_stream stream{ioc};
  abort_on_exit<beast::tcp_stream> guard{ioc, stream};
  if (!connect(stream))
    return result;
  return exchange(ioc, stream, port, method, target, deadline);
}

// -- raw_tcp -------------------------------------------------------------------------------------

namespace {

/// poll() on one descriptor, retried on EINTR, bounded by `deadline`; the revents or 0.
short poll_one(int fd, short events, steady::time_point deadline) {
  for (;;) {
    pollfd pfd{fd, events, 0};
    auto left = remaining(deadline);
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r > 0)
      return pfd.revents;
    if (r == 0 || errno != EINTR)
      return 0;
  }
}

} // namespace

raw_tcp::~raw_tcp() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_tcp::connect(uint16_t port, milliseconds timeout, int receive_buffer,
                      const std::string& source) {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return false;
  if (receive_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1
        || ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0)
      return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0)
    return true;
  if (errno != EINPROGRESS)
    return false;
  if ((poll_one(fd_, POLLOUT, steady::now() + timeout) & POLLOUT) == 0)
    return false;
  int err = 0;
  socklen_t len = sizeof(err);
  return ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
}

bool raw_tcp::write_all(std::string_view data, milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  while (!data.empty()) {
    auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if ((poll_one(fd_, POLLOUT, deadline) & POLLOUT) == 0)
        return false;
      continue;
    }
    return false;
  }
  return true;
}

std::optional<std::string> raw_tcp::read_through(std::string_view terminator, size_t max_bytes,
                                                 milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  std::string got;
  while (got.size() < max_bytes) {
    char c = 0;
    auto n = ::recv(fd_, &c, 1, 0);
    if (n == 1) {
      got.push_back(c);
      if (got.size() >= terminator.size()
          && std::string_view{got}.substr(got.size() - terminator.size()) == terminator)
        return got;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if ((poll_one(fd_, POLLIN, deadline) & (POLLIN | POLLHUP | POLLERR)) == 0)
        return std::nullopt;
      continue;
    }
    return std::nullopt; // EOF or error
  }
  return std::nullopt;
}

bool raw_tcp::wait_peer_closed(milliseconds timeout) {
  // Only POLLRDHUP is requested, so unread data (pings) doesn't wake us; POLLHUP and POLLERR
  // (reset) are always reported.
  auto revents = poll_one(fd_, POLLRDHUP, steady::now() + timeout);
  return (revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

bool raw_ws_upgrade(raw_tcp& conn, uint16_t port, milliseconds timeout, std::string* head) {
  return raw_ws_upgrade_at(conn, port, "/ws", timeout, head);
}

bool raw_ws_upgrade_at(raw_tcp& conn, uint16_t port, std::string_view target,
                       milliseconds timeout, std::string* head) {
  auto deadline = steady::now() + timeout;
  std::string req = "GET " + std::string{target}
                    + " HTTP/1.1\r\n"
                      "Host: 127.0.0.1:"
                    + std::to_string(port)
                    + "\r\n"
                      "Upgrade: websocket\r\n"
                      "Connection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "\r\n";
  if (!conn.write_all(req, remaining(deadline)))
    return false;
  auto response = conn.read_through("\r\n\r\n", 16 * 1024, remaining(deadline));
  if (!response)
    return false;
  if (head != nullptr)
    *head = *response;
  return response->rfind("HTTP/1.1 101", 0) == 0;
}

std::string raw_ws_frame(uint8_t first_byte, std::string_view payload, bool masked) {
  std::string frame;
  frame.push_back(static_cast<char>(first_byte));
  auto size = payload.size();
  char mask_bit = masked ? static_cast<char>(0x80) : 0;
  if (size < 126) {
    frame.push_back(static_cast<char>(mask_bit | static_cast<char>(size)));
  } else if (size < 65536) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>((size >> 8) & 0xff));
    frame.push_back(static_cast<char>(size & 0xff));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      frame.push_back(static_cast<char>((static_cast<uint64_t>(size) >> shift) & 0xff));
  }
  if (masked)
    frame.append(4, '\0'); // masking key 0: the payload goes out unchanged
  frame.append(payload);
  return frame;
}

bool raw_ws_send_text(raw_tcp& conn, std::string_view payload, milliseconds timeout) {
  return conn.write_all(raw_ws_frame(0x81, payload), timeout);
}

std::string raw_http_head(uint16_t port, std::string_view request, milliseconds timeout,
                          const std::string& source) {
  auto deadline = steady::now() + timeout;
  raw_tcp conn;
  if (!conn.connect(port, remaining(deadline), 0, source)
      || !conn.write_all(request, remaining(deadline)))
    return {};
  return conn.read_through("\r\n\r\n", 16 * 1024, remaining(deadline)).value_or("");
}

int status_of(std::string_view head) {
  // "HTTP/1.1 426 Upgrade Required"
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/")
    return 0;
  auto space = head.find(' ');
  if (space == std::string_view::npos || head.size() < space + 4)
    return 0;
  int code = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (head[i] < '0' || head[i] > '9')
      return 0;
    code = code * 10 + (head[i] - '0');
  }
  return code;
}

std::optional<raw_ws_server_frame> raw_ws_take_frame(std::string& buf) {
  if (buf.size() < 2)
    return std::nullopt;
  auto b0 = static_cast<unsigned char>(buf[0]);
  auto b1 = static_cast<unsigned char>(buf[1]);
  size_t header = 2;
  uint64_t len = b1 & 0x7f;
  if (len == 126) {
    if (buf.size() < 4)
      return std::nullopt;
    len = (static_cast<uint64_t>(static_cast<unsigned char>(buf[2])) << 8)
          | static_cast<unsigned char>(buf[3]);
    header = 4;
  } else if (len == 127) {
    if (buf.size() < 10)
      return std::nullopt;
    len = 0;
    for (int i = 2; i < 10; ++i)
      len = (len << 8) | static_cast<unsigned char>(buf[i]);
    header = 10;
  }
  if ((b1 & 0x80) != 0)
    header += 4;
  if (buf.size() < header + len)
    return std::nullopt;
  raw_ws_server_frame frame{static_cast<uint8_t>(b0 & 0x0f), buf.substr(header, len)};
  buf.erase(0, header + len);
  return frame;
}

std::optional<uint16_t> raw_ws_read_close(raw_tcp& conn, milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  std::string buf;
  char chunk[8192];
  for (;;) {
    while (auto frame = raw_ws_take_frame(buf)) {
      if (frame->opcode != 0x8)
        continue;
      if (frame->payload.size() < 2)
        return uint16_t{0};
      return static_cast<uint16_t>((static_cast<unsigned char>(frame->payload[0]) << 8)
                                   | static_cast<unsigned char>(frame->payload[1]));
    }
    if ((poll_one(conn.fd(), POLLIN, deadline) & (POLLIN | POLLHUP | POLLERR)) == 0)
      return std::nullopt;
    auto n = ::recv(conn.fd(), chunk, sizeof(chunk), 0);
    if (n > 0)
      buf.append(chunk, static_cast<size_t>(n));
    else if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
      continue;
    else
      return std::nullopt;
  }
}

} // namespace actorchat::itest
