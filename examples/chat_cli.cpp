// chat_cli: a command-line actorchat client. Prints each chat message as "HH:MM from: text" (an
// action as "HH:MM * from text") and sends every line typed on stdin as a message.
//
//   chat_cli [ws://127.0.0.1:8080/ws | wss://host:port/ws] [--raw] [--insecure]
//
// --raw prints the server's JSON objects as they arrive; --insecure skips TLS certificate checks
// (for a self-signed test certificate). One Asio thread does all network I/O; the main thread
// only reads stdin and posts each line onto it, so there is exactly one writer.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <ctime>
#include <deque>
#include <iostream>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

struct url {
  bool tls = false;
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string path = "/ws";
};

bool parse_url(const std::string& s, url& out) {
  std::string rest;
  if (s.rfind("ws://", 0) == 0) {
    rest = s.substr(5);
  } else if (s.rfind("wss://", 0) == 0) {
    out.tls = true;
    out.port = "443";
    rest = s.substr(6);
  } else {
    return false;
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    out.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[')
    authority = authority.substr(1, authority.size() - 2);
  out.host = authority;
  return !out.host.empty();
}

/// Formats one server object for a person.
void print_object(const std::string& line, bool raw) {
  if (raw) {
    std::cout << line << std::endl;
    return;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) {
    std::cout << line << std::endl;
    return;
  }
  auto& o = v.as_object();
  auto str = [&](const char* k) -> std::string {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string{p->as_string()} : std::string{};
  };
  auto type = str("type");
  if (type == "welcome") {
    std::cout << "* connected as " << str("nick") << std::endl;
  } else if (type == "message") {
    std::time_t secs = 0;
    if (auto* ts = o.if_contains("ts"); ts && ts->is_number())
      secs = static_cast<std::time_t>(ts->to_number<int64_t>() / 1000);
    std::tm tm{};
    localtime_r(&secs, &tm);
    char hhmm[8];
    std::strftime(hhmm, sizeof(hhmm), "%H:%M", &tm);
    auto* action = o.if_contains("action");
    if (action && action->is_bool() && action->get_bool()) // "/me waves" from the page
      std::cout << hhmm << " * " << str("from") << " " << str("text") << std::endl;
    else
      std::cout << hhmm << " " << str("from") << ": " << str("text") << std::endl;
  } else if (type == "notice") { // a behaviour's answer to a slash-command ("/time")
    std::cout << "* " << str("from") << ": " << str("text") << std::endl;
  } else {
    std::cout << line << std::endl;
  }
}

/// One connection; everything runs on the io_context's single thread.
template <class Stream>
class client {
public:
  client(websocket::stream<Stream>& ws, bool raw) : ws_(ws), raw_(raw) {}

  void start() { do_read(); }

  void send(std::string line) {
    queue_.push_back(std::move(line));
    if (queue_.size() == 1)
      do_write();
  }

  void close() { ws_.async_close(websocket::close_code::normal, [](beast::error_code) {}); }

private:
  void do_read() {
    ws_.async_read(buffer_, [this](beast::error_code ec, size_t) {
      if (ec) {
        auto reason = ws_.reason();
        std::cerr << "* disconnected: " << ec.message();
        if (reason.code != websocket::close_code::none)
          std::cerr << " (close " << reason.code << " " << reason.reason << ")";
        std::cerr << std::endl;
        return;
      }
      auto frame = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
      for (size_t pos = 0; pos < frame.size();) {
        auto nl = frame.find('\n', pos);
        auto part = frame.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (!part.empty())
          print_object(part, raw_);
        pos = nl == std::string::npos ? frame.size() : nl + 1;
      }
      do_read();
    });
  }

  void do_write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()), [this](beast::error_code ec, size_t) {
      if (ec) {
        std::cerr << "* send failed: " << ec.message() << std::endl;
        return;
      }
      queue_.pop_front();
      if (!queue_.empty())
        do_write();
    });
  }

  websocket::stream<Stream>& ws_;
  bool raw_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
};

/// Runs the client on `ws` (already connected and upgraded) until stdin closes or the server
/// closes the connection.
template <class Stream>
int run(asio::io_context& ioc, websocket::stream<Stream>& ws, bool raw) {
  client<Stream> c{ws, raw};
  c.start();
  auto guard = asio::make_work_guard(ioc);
  std::thread net{[&] { ioc.run(); }};
  for (std::string line; std::getline(std::cin, line);)
    asio::post(ioc, [&c, line] { c.send(line); });
  asio::post(ioc, [&c] { c.close(); });
  guard.reset();
  net.join();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  url target;
  bool raw = false;
  bool insecure = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--raw") {
      raw = true;
    } else if (arg == "--insecure") {
      insecure = true;
    } else if (arg == "--help" || arg == "-h" || !parse_url(arg, target)) {
      std::cerr << "usage: chat_cli [ws://HOST:PORT/ws | wss://HOST:PORT/ws] [--raw] [--insecure]\n";
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  try {
    asio::io_context ioc;
    tcp::resolver resolver{ioc};
    auto endpoints = resolver.resolve(target.host, target.port);
    auto host_header = target.host + ":" + target.port;
    if (!target.tls) {
      websocket::stream<beast::tcp_stream> ws{ioc};
      beast::get_lowest_layer(ws).connect(endpoints);
      ws.handshake(host_header, target.path);
      return run(ioc, ws, raw);
    }
    ssl::context ctx{ssl::context::tls_client};
    if (insecure) {
      ctx.set_verify_mode(ssl::verify_none);
    } else {
      ctx.set_default_verify_paths();
      ctx.set_verify_mode(ssl::verify_peer);
    }
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws{ioc, ctx};
    if (!insecure)
      ws.next_layer().set_verify_callback(ssl::host_name_verification(target.host));
    SSL_set_tlsext_host_name(ws.next_layer().native_handle(), target.host.c_str());
    beast::get_lowest_layer(ws).connect(endpoints);
    ws.next_layer().handshake(ssl::stream_base::client);
    ws.handshake(host_header, target.path);
    return run(ioc, ws, raw);
  } catch (const std::exception& e) {
    std::cerr << "chat_cli: " << e.what() << "\n";
    return 1;
  }
}
