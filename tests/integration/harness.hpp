// harness: what the integration suites need to drive a real actorchat process from outside.
//
// Every wait here is bounded by a timeout: a server that hangs fails the test, never the run.
// Network traffic goes to 127.0.0.1 only. This header keeps Boost.Beast out of the suites (its
// code lives in harness.cpp), so that each suite compiles in seconds.
#pragma once

#include <boost/json.hpp>

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace actorchat::itest {

using std::chrono::milliseconds;

// -- paths ---------------------------------------------------------------------------------------

/// The actorchat binary under test ($ACTORCHAT_SERVER overrides the build's own).
std::string server_binary();

/// The source tree (compile definition ACTORCHAT_SOURCE_DIR).
std::string source_dir();

/// The absolute path of the source tree's web/ directory, the server's web-root in tests.
std::string web_root();

/// The contents of a file, or nullopt if it cannot be read.
std::optional<std::string> read_file(const std::string& path);

// -- temp_dir ------------------------------------------------------------------------------------

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }

  /// The absolute path of `name` inside this directory.
  std::string file(const std::string& name) const;

  /// Writes `content` to `name` inside this directory; returns its absolute path.
  std::string write(const std::string& name, const std::string& content) const;

private:
  std::string path_;
};

// -- child processes -----------------------------------------------------------------------------

/// A child process (normally actorchat) with its stdout and stderr captured by a drain thread.
///
/// Threading: construct and destroy on the test's main thread (the child gets PR_SET_PDEATHSIG,
/// which fires when the forking thread ends). The accessors are safe from any thread.
/// The destructor SIGKILLs a child that still runs and reaps it.
class server_process {
public:
  /// Starts `program` (looked up in PATH unless it contains a '/') with `args` in `cwd`.
  server_process(std::string program, std::vector<std::string> args, std::string cwd);
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  pid_t pid() const { return pid_; }

  /// Waits for the "INFO listening url=SCHEME://HOST:PORT" line; false on timeout or exit.
  bool wait_listening(milliseconds timeout);

  uint16_t port() const { return port_; }

  /// "http://127.0.0.1:PORT" or "https://...", as logged; empty before wait_listening.
  const std::string& url() const { return url_; }

  /// Waits until the captured stderr contains `needle`; false on timeout.
  bool wait_stderr(std::string_view needle, milliseconds timeout);

  /// Sends `sig` to the child unless it was reaped already.
  void signal(int sig);

  /// Waits for the child to end: its exit code, or 128 + signal number if a signal killed it;
  /// nullopt if it still runs after `timeout`.
  std::optional<int> wait_exit(milliseconds timeout);

  /// Everything the child wrote to stderr so far (waits briefly for the pipe to drain if the
  /// child has exited).
  std::string stderr_text() const;

  /// Everything the child wrote to stdout so far.
  std::string stdout_text() const;

  /// The command line, for messages.
  const std::string& command_line() const { return command_line_; }

  /// Writes the command line and captured stderr of every live server_process to `fd`, skipping
  /// any whose buffer is busy. Async-signal-tolerant (no allocation, no blocking): meant for a
  /// SIGABRT handler, because a failed CAF_REQUIRE in CAF 0.17 calls abort() and no destructor
  /// gets to print anything.
  static void dump_all(int fd) noexcept;

private:
  void drain(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::optional<int> status_;
  uint16_t port_ = 0;
  std::string url_;
  std::string command_line_;
  mutable std::mutex mtx_;
  mutable std::condition_variable cv_;
  std::string out_;
  std::string err_;
  bool drained_ = false;
  std::atomic<bool> stop_{false};
  std::thread drainer_;
};

/// Runs a command to completion in `cwd`: its exit code (see server_process::wait_exit), or
/// nullopt if it ran longer than `timeout` (it is killed then). Its stderr goes to `*err`.
std::optional<int> run_command(std::string program, std::vector<std::string> args,
                               const std::string& cwd, milliseconds timeout,
                               std::string* err = nullptr);

/// PEM files of a self-signed certificate for CN=localhost, made with the openssl command line.
struct tls_files {
  std::string cert;
  std::string key;
};

/// Generates cert.pem and key.pem in `dir`; nullopt (and the reason in `*err`) on failure.
std::optional<tls_files> make_self_signed_cert(const temp_dir& dir, std::string* err = nullptr);

// -- JSON helpers --------------------------------------------------------------------------------

/// obj[key] as a string; empty if absent or not a string.
std::string get_string(const boost::json::object& obj, std::string_view key);

/// obj[key] as an integer; nullopt if absent or not an integral number.
std::optional<int64_t> get_int(const boost::json::object& obj, std::string_view key);

/// The "type" field of a server object.
inline std::string type_of(const boost::json::object& obj) { return get_string(obj, "type"); }

// -- WebSocket client ----------------------------------------------------------------------------

/// How ws_client::connect connects.
struct ws_options {
  bool tls = false;                  ///< wss (certificate not verified: tests use self-signed)
  std::string target = "/ws";        ///< request target of the upgrade
  int receive_buffer = 0;            ///< SO_RCVBUF set before connecting; 0 keeps the default
  milliseconds timeout{5000};        ///< bound for TCP connect + TLS + upgrade together
};

/// One frame as ws_client::read_frame returns it, or why there was none.
struct ws_frame {
  enum class kind { text, binary, closed, timeout, error };
  kind what = kind::timeout;
  std::string data;        ///< payload of a text or binary frame
  uint16_t close_code = 0; ///< closed: the code in the peer's close frame (0 if it sent none)
  std::string error;       ///< error: what went wrong

  /// "text(12 bytes)", "closed(1008)", "timeout", "error(...)": for test messages.
  std::string describe() const;
};

/// A WebSocket client (Beast) for tests: plain or TLS, to 127.0.0.1, every call time-bounded.
///
/// It reads only inside the read_* calls; between them it does not touch the socket, which makes
/// it a slow reader on demand. A read that times out stays pending and is completed by the next
/// read_* call, so a timeout loses nothing. Pings are answered (by Beast) only while a read_* call
/// runs. Server frames carry JSON objects separated by '\n'; read_object() splits them and
/// returns one object at a time. Not thread-safe; one thread per client at a time.
class ws_client {
public:
  ws_client();
  ~ws_client();
  ws_client(ws_client&&) noexcept;
  ws_client& operator=(ws_client&&) noexcept;

  /// TCP connect to 127.0.0.1:port, TLS handshake if asked, WebSocket upgrade; false on failure
  /// (see last_error()).
  bool connect(uint16_t port, const ws_options& opts = {});

  /// Sends one text frame (possibly empty); false on failure or timeout.
  bool send(std::string_view text, milliseconds timeout = milliseconds{5000});

  /// Sends one binary frame.
  bool send_binary(std::string_view data, milliseconds timeout = milliseconds{5000});

  /// The next frame, a close, an error or a timeout. Bypasses the object queue of read_object:
  /// don't mix the two on one client unless the queue is empty.
  ws_frame read_frame(milliseconds timeout);

  /// The next JSON object of any type; nullopt on timeout, close, error or a line that is not a
  /// JSON object (last_error() says which).
  std::optional<boost::json::object> read_object(milliseconds timeout);

  /// The next object with "type":"message", skipping objects of other types.
  std::optional<boost::json::object> read_message(milliseconds timeout);

  /// Reads until the peer's close, an error or the timeout, at most `max_frames` frames; returns
  /// the frame that ended it. The objects read on the way (queued ones first) go to `*seen`.
  ws_frame read_until_close(milliseconds timeout, size_t max_frames = 1000000,
                            std::vector<boost::json::object>* seen = nullptr);

  /// Starts a close handshake with `code` and waits for its completion (bounded).
  bool close(uint16_t code = 1000, milliseconds timeout = milliseconds{2000});

  /// True after connect() succeeded and before a close or error ended the connection.
  bool is_open() const;

  /// The close code the peer sent, once a close frame arrived.
  std::optional<uint16_t> close_code() const;

  /// Pings received from the server so far.
  size_t pings_received() const;

  /// Why the last call failed or returned nothing: "timeout", "closed(1008)", an error text.
  const std::string& last_error() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// -- HTTP ----------------------------------------------------------------------------------------

/// A response as http_request returns it.
struct http_result {
  int status = 0;           ///< 0: no response (see error)
  std::string content_type; ///< the Content-Type header, as sent
  std::string body;
  std::string error;
};

/// Sends one HTTP/1.1 request with `method` and a verbatim `target` (not normalized, so "/../x"
/// goes out as written) to 127.0.0.1:port over plain TCP or TLS, and reads the response.
http_result http_request(uint16_t port, std::string_view method, std::string_view target,
                         bool tls = false, milliseconds timeout = milliseconds{5000});

// -- raw TCP -------------------------------------------------------------------------------------

/// A plain TCP connection to 127.0.0.1 driven with POSIX calls and poll(), for peers that
/// misbehave on purpose (complete an upgrade, then never read or answer).
class raw_tcp {
public:
  raw_tcp() = default;
  ~raw_tcp();
  raw_tcp(const raw_tcp&) = delete;
  raw_tcp& operator=(const raw_tcp&) = delete;

  /// Connects (non-blocking, bounded); `receive_buffer` > 0 sets SO_RCVBUF first; a
  /// `source` address (such as "127.0.0.2") is bound first, to look like another host.
  bool connect(uint16_t port, milliseconds timeout, int receive_buffer = 0,
               const std::string& source = {});

  bool write_all(std::string_view data, milliseconds timeout);

  /// Reads one byte at a time until `terminator` has been read (nothing after it is consumed);
  /// returns what was read, or nullopt on EOF, error or timeout.
  std::optional<std::string> read_through(std::string_view terminator, size_t max_bytes,
                                          milliseconds timeout);

  /// Waits, without reading, until the peer closed the connection (FIN or RST); false if it
  /// is still open after `timeout`.
  bool wait_peer_closed(milliseconds timeout);

  int fd() const { return fd_; }

private:
  int fd_ = -1;
};

/// Sends a WebSocket upgrade request for /ws over `conn` and reads the response head; true if
/// it is "101 Switching Protocols". The response head goes to `*head`.
bool raw_ws_upgrade(raw_tcp& conn, uint16_t port, milliseconds timeout,
                    std::string* head = nullptr);

/// Like raw_ws_upgrade, for the request target `target` (such as "/ws?autojoin=maybe"); the
/// response head goes to `*head` whatever its status.
bool raw_ws_upgrade_at(raw_tcp& conn, uint16_t port, std::string_view target,
                       milliseconds timeout, std::string* head = nullptr);

/// One client frame: `first_byte` holds FIN, RSV1-3 and the opcode (0x81 = final text frame);
/// masked as a client must (with an all-zero key, which leaves the payload as it is) unless
/// `masked` is false.
std::string raw_ws_frame(uint8_t first_byte, std::string_view payload, bool masked = true);

/// Writes one final text frame with `payload` to `conn` after raw_ws_upgrade(_at).
bool raw_ws_send_text(raw_tcp& conn, std::string_view payload, milliseconds timeout);

/// Sends `request` (verbatim) on a new connection to 127.0.0.1:port and returns the response
/// head (status line and headers), or empty if none came within `timeout`.
std::string raw_http_head(uint16_t port, std::string_view request, milliseconds timeout,
                          const std::string& source = {});

/// The status code in a response head ("HTTP/1.1 426 ..." -> 426), 0 if there is none.
int status_of(std::string_view head);

/// One frame a server sent: its opcode (1 text, 8 close, ...) and its payload.
struct raw_ws_server_frame {
  uint8_t opcode = 0;
  std::string payload;
};

/// Removes the first complete frame from `buf` (bytes read from the server) and returns it;
/// nullopt if `buf` does not hold a whole frame yet.
std::optional<raw_ws_server_frame> raw_ws_take_frame(std::string& buf);

/// Reads the server's frames from `conn` until a close frame arrives and returns its status code
/// (0 if it carries none); nullopt if the connection ends or `timeout` passes first. Other
/// frames are skipped. Unlike ws_client, it sees a close frame that the server sends right
/// before it drops the connection (a reset then makes Beast's client lose the code).
std::optional<uint16_t> raw_ws_read_close(raw_tcp& conn, milliseconds timeout);

} // namespace actorchat::itest
