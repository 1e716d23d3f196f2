#include "net/http_session.hpp"

#include "config/log.hpp"
#include "net/static_files.hpp"
#include "net/websocket_session.hpp"

#include <optional>

namespace actorchat::netio {

namespace {

/// Request size limits before the upgrade: a chat page needs nothing bigger.
constexpr uint32_t max_header_bytes = 8 * 1024;
constexpr uint64_t max_body_bytes = 4 * 1024;

/// The WebSocket endpoint.
constexpr std::string_view ws_path = "/ws";

constexpr const char* content_security_policy =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
  "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The value of the "autojoin" query parameter of a /ws target: true when absent, nullopt when
/// malformed. Other parameters are ignored.
std::optional<bool> parse_autojoin(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return true;
  auto query = target.substr(q + 1);
  std::optional<bool> result = true;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = param.find('=');
    if (param.substr(0, eq) != "autojoin")
      continue;
    auto value = eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
    if (value == "true")
      result = true;
    else if (value == "false")
      result = false;
    else
      return std::nullopt;
  }
  return result;
}

template <class Body>
void common_headers(http::response<Body>& res) {
  res.set(http::field::server, "actorchat");
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, "no-cache");
}

http::response<http::string_body> text_response(const request& req, http::status status,
                                                std::string_view text) {
  http::response<http::string_body> res{status, req.version()};
  common_headers(res);
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.keep_alive(req.keep_alive());
  if (req.method() != http::verb::head)
    res.body() = std::string{text} + "\n";
  res.prepare_payload();
  return res;
}

/// One HTTP connection. Runs on the strand of its socket; requests are answered in order.
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
  http_session(Stream&& stream, context_ptr ctx)
    : stream_(std::move(stream)), ctx_(std::move(ctx)) {
  }

  void run() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      beast::get_lowest_layer(stream_).expires_after(ctx_->cfg.handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  log::debug("tls_handshake_failed",
                                             "error=" + log::quote(ec.message()));
                                  return;
                                }
                                self->do_read();
                              });
    } else {
      do_read();
    }
  }

private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(max_header_bytes);
    parser_->body_limit(max_body_bytes);
    // One deadline for the whole request: a slowly trickling client is cut off.
    beast::get_lowest_layer(stream_).expires_after(ctx_->cfg.handshake_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream) {
      do_eof();
      return;
    }
    if (ec == http::error::header_limit) {
      reply_error(http::status::request_header_fields_too_large, "request headers too large");
      return;
    }
    if (ec == http::error::body_limit) {
      reply_error(http::status::payload_too_large, "request body too large");
      return;
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted
          && ec != asio::error::connection_reset)
        reply_error(http::status::bad_request, "malformed request");
      return;
    }
    request req = parser_->release();
    if (websocket::is_upgrade(req)) {
      auto target = std::string_view{req.target().data(), req.target().size()};
      if (target.substr(0, target.find('?')) != ws_path) {
        reply(text_response(req, http::status::not_found, "no WebSocket endpoint here; use /ws"));
        return;
      }
      auto autojoin = parse_autojoin(target);
      if (!autojoin) {
        reply(text_response(req, http::status::bad_request,
                            "autojoin must be true or false"));
        return;
      }
      if (ctx_->draining) {
        reply(text_response(req, http::status::service_unavailable, "server shutting down"));
        return;
      }
      run_websocket_session(std::move(stream_), std::move(req), *autojoin, ctx_);
      return;
    }
    handle(std::move(req));
  }

  void handle(request&& req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = text_response(req, http::status::method_not_allowed, "method not allowed");
      res.set(http::field::allow, "GET, HEAD");
      reply(std::move(res));
      return;
    }
    auto target = std::string_view{req.target().data(), req.target().size()};
    if (target.substr(0, target.find('?')) == ws_path) {
      auto res = text_response(req, http::status::upgrade_required,
                               "this is the WebSocket endpoint: connect with a WebSocket client");
      res.set(http::field::upgrade, "websocket");
      res.set(http::field::connection, "Upgrade");
      res.set(http::field::sec_websocket_version, "13");
      reply(std::move(res));
      return;
    }
    auto found = resolve_static(ctx_->web_root, target);
    if (found.status == 400) {
      reply(text_response(req, http::status::bad_request, "bad path"));
      return;
    }
    if (found.status != 200) {
      reply(text_response(req, http::status::not_found, "not found"));
      return;
    }
    beast::error_code ec;
    http::file_body::value_type body;
    body.open(found.path.c_str(), beast::file_mode::scan, ec);
    if (ec) {
      reply(text_response(req, http::status::not_found, "not found"));
      return;
    }
    auto size = body.size();
    auto type = mime_type(found.path);
    if (req.method() == http::verb::head) {
      http::response<http::empty_body> res{http::status::ok, req.version()};
      common_headers(res);
      res.set(http::field::content_type, type);
      res.content_length(size);
      res.keep_alive(req.keep_alive());
      reply(std::move(res));
      return;
    }
    http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(http::status::ok, req.version())};
    common_headers(res);
    res.set(http::field::content_type, type);
    if (type.substr(0, 9) == "text/html") {
      res.set("Content-Security-Policy", content_security_policy);
      res.set("Referrer-Policy", "no-referrer");
      res.set("X-Frame-Options", "DENY");
    }
    res.content_length(size);
    res.keep_alive(req.keep_alive());
    reply(std::move(res));
  }

  /// Answers a request that could not be parsed, then closes the connection.
  void reply_error(http::status status, std::string_view text) {
    request dummy;
    dummy.version(11);
    dummy.keep_alive(false);
    reply(text_response(dummy, status, text));
  }

  template <class Body>
  void reply(http::response<Body>&& res) {
    auto msg = std::make_shared<http::response<Body>>(std::move(res));
    bool close = msg->need_eof();
    http::async_write(stream_, *msg,
                      [self = this->shared_from_this(), msg, close](beast::error_code ec, size_t) {
                        if (ec)
                          return;
                        if (close)
                          self->do_eof();
                        else
                          self->do_read();
                      });
  }

  void do_eof() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  context_ptr ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

} // namespace

void run_http_session(tcp::socket socket, context_ptr ctx) {
  std::make_shared<http_session<plain_stream>>(plain_stream{std::move(socket)}, std::move(ctx))
    ->run();
}

void run_https_session(tcp::socket socket, context_ptr ctx) {
  auto& tls = *ctx->tls;
  std::make_shared<http_session<tls_stream>>(tls_stream{std::move(socket), tls}, std::move(ctx))
    ->run();
}

} // namespace actorchat::netio
