#include "net/http_session.hpp"

#include "config/log.hpp"
#include "net/static_files.hpp"
#include "net/websocket_session.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace actorchat::netio {

namespace {

/// Request size limits before the upgrade: a chat page needs nothing bigger.
constexpr uint32_t max_header_bytes = 8 * 1024;
constexpr uint64_t max_body_bytes = 4 * 1024;

constexpr const char* content_security_policy =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
  "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

template <class Body>
void common_headers(http::response<Body>& res) {
  res.set(http::field::server, "actorchat");
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, "no-cache");
}

http::response<http::string_body> body_response(const request& req, http::status status,
                                                std::string_view content_type,
                                                std::string body) {
  http::response<http::string_body> res{status, req.version()};
  common_headers(res);
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  auto length = body.size();
  if (req.method() != http::verb::head)
    res.body() = std::move(body);
  res.prepare_payload();
  if (req.method() == http::verb::head)
    res.content_length(length);
  return res;
}

http::response<http::string_body> text_response(const request& req, http::status status,
                                                std::string_view text) {
  return body_response(req, status, "text/plain; charset=utf-8", std::string{text} + "\n");
}

/// True for GET or HEAD /healthz (any query string).
bool is_healthz(const request& req) {
  return (req.method() == http::verb::get || req.method() == http::verb::head)
         && path_of(req) == healthz_path;
}

/// The /healthz answer: 503 while draining or while the store's last commit failed, else 200
/// (with the links to the cluster's peers, if there is a cluster).
http::response<http::string_body> health_response(const request& req, const server_context& ctx) {
  const auto& m = *ctx.metrics;
  std::string body;
  auto status = http::status::ok;
  if (ctx.draining) {
    status = http::status::service_unavailable;
    body = R"({"status":"draining"})";
  } else if (m.store_healthy.value() == 0) {
    status = http::status::service_unavailable;
    body = R"({"status":"store_failing","store_commit_failures":)"
           + std::to_string(m.store_failures.value()) + "}";
  } else {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - m.started_mono);
    body = R"({"status":"ok","uptime_seconds":)" + std::to_string(uptime.count())
           + R"(,"connections":)" + std::to_string(m.connections.value()) + R"(,"rooms":)"
           + std::to_string(m.rooms.value());
    // A peer that is down does not make this node unhealthy: it serves every room whose home
    // is up (docs/CLUSTER.md). Node ids are letters, digits, '-', '_' and '.': no escaping.
    if (!m.node_id.empty()) {
      body += R"(,"cluster":{"node":")" + m.node_id + R"(","peers":{)";
      for (size_t i = 0; i < m.peer_ids.size(); ++i)
        body += (i > 0 ? "," : "") + ("\"" + m.peer_ids[i] + "\":")
                + (m.peer_up[i].value() != 0 ? R"("up")" : R"("down")");
      body += "}}";
    }
    body += "}";
  }
  auto res = body_response(req, status, "application/json", body + "\n");
  if (status != http::status::ok)
    res.set(http::field::retry_after, "1");
  return res;
}

/// One HTTP connection. Runs on the network thread of its socket; requests are answered in order.
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
  http_session(Stream&& stream, context_ptr ctx, admission::verdict admitted,
               admission::ticket ticket, listener_role role)
    : stream_(std::move(stream)), ctx_(std::move(ctx)), admitted_(admitted),
      ticket_(std::move(ticket)), role_(role) {
  }

  void run() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      beast::get_lowest_layer(stream_).expires_after(ctx_->cfg.handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  self->ctx_->metrics->handshake_failed("tls");
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
    // One deadline for the whole request: a slowly trickling client is cut off. A connection
    // over a cap gets little time: it is only told 503.
    auto deadline = ctx_->cfg.handshake_timeout;
    if (admitted_ != admission::verdict::admitted)
      deadline = std::min<decltype(deadline)>(deadline, std::chrono::seconds(2));
    beast::get_lowest_layer(stream_).expires_after(deadline);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream) {
      do_eof();
      return;
    }
    if (ec == http::error::header_limit) {
      count_failure(http::status::request_header_fields_too_large);
      reply_error(http::status::request_header_fields_too_large, "request headers too large");
      return;
    }
    if (ec == http::error::body_limit) {
      count_failure(http::status::payload_too_large);
      reply_error(http::status::payload_too_large, "request body too large");
      return;
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted
          && ec != asio::error::connection_reset) {
        count_failure(http::status::bad_request);
        reply_error(http::status::bad_request, "malformed request");
      }
      return;
    }
    request req = parser_->release();
    if (role_ == listener_role::metrics) {
      handle(std::move(req));
      return;
    }
    if (admitted_ != admission::verdict::admitted) {
      if (is_healthz(req)) {
        // A probe still learns the server's health; the connection ends with the answer.
        auto res = health_response(req, *ctx_);
        res.keep_alive(false);
        reply(std::move(res));
        return;
      }
      if (wants_websocket(req))
        count_failure(http::status::service_unavailable);
      log::debug("connection_refused", "reason=" + log::quote(admission::describe(admitted_)));
      auto res = text_response(req, http::status::service_unavailable,
                               admission::describe(admitted_));
      res.set(http::field::retry_after, "1");
      res.keep_alive(false);
      reply(std::move(res));
      return;
    }
    if (wants_websocket(req)) {
      upgrade(std::move(req));
      return;
    }
    handle(std::move(req));
  }

  /// A WebSocket upgrade request: judged by http_rules, then by the drain state.
  void upgrade(request&& req) {
    auto verdict = check_upgrade(req, ctx_->origins);
    if (!verdict.ok()) {
      count_failure(verdict.status);
      log::debug("upgrade_refused", "status=" + std::to_string(static_cast<int>(verdict.status))
                                      + " reason=" + log::quote(verdict.reason));
      auto res = text_response(req, verdict.status, verdict.reason);
      if (verdict.status == http::status::upgrade_required)
        res.set(http::field::sec_websocket_version, "13");
      if (verdict.status == http::status::method_not_allowed)
        res.set(http::field::allow, "GET");
      res.keep_alive(false);
      reply(std::move(res));
      return;
    }
    if (ctx_->draining) {
      count_failure(http::status::service_unavailable);
      auto res = text_response(req, http::status::service_unavailable, "server shutting down");
      res.keep_alive(false);
      reply(std::move(res));
      return;
    }
    run_websocket_session(std::move(stream_), std::move(req), verdict.autojoin, ctx_,
                          std::move(ticket_));
  }

  void handle(request&& req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = text_response(req, http::status::method_not_allowed, "method not allowed");
      res.set(http::field::allow, "GET, HEAD");
      reply(std::move(res));
      return;
    }
    auto path = path_of(req);
    if (path == healthz_path) {
      reply(health_response(req, *ctx_));
      return;
    }
    if (path == metrics_path && serves_metrics()) {
      reply(body_response(req, http::status::ok, prometheus_content_type,
                          render_prometheus(*ctx_->metrics)));
      return;
    }
    if (role_ == listener_role::metrics) {
      reply(text_response(req, http::status::not_found, "not found"));
      return;
    }
    if (path == ws_path) {
      auto res = text_response(req, http::status::upgrade_required,
                               "this is the WebSocket endpoint: connect with a WebSocket client");
      res.set(http::field::upgrade, "websocket");
      res.set(http::field::connection, "Upgrade");
      res.set(http::field::sec_websocket_version, "13");
      reply(std::move(res));
      return;
    }
    auto found = resolve_static(ctx_->web_root, {req.target().data(), req.target().size()});
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

  /// /metrics is served here: metrics on, and this is the listener they are served on.
  bool serves_metrics() const {
    if (ctx_->cfg.metrics != "on")
      return false;
    return role_ == listener_role::metrics || ctx_->cfg.metrics_port == 0;
  }

  /// Counts a failed upgrade (or a request too broken to tell) on the chat listener.
  void count_failure(http::status status) {
    if (role_ == listener_role::chat)
      ctx_->metrics->handshake_failed(static_cast<int>(status));
  }

  /// Answers a request that could not be parsed, then closes the connection.
  void reply_error(http::status status, std::string_view text) {
    request dummy;
    dummy.version(11);
    dummy.keep_alive(false);
    reply(text_response(dummy, status, text));
  }

  /// Writes a response; then reads the next request or, if the response ends the connection,
  /// shuts it down. Every response goes through one type-erased writer (message_generator):
  /// one write operation per stream type to compile instead of one per body type.
  template <class Body>
  void reply(http::response<Body>&& res) {
    http::message_generator msg{std::move(res)};
    bool keep_alive = msg.keep_alive();
    beast::async_write(stream_, std::move(msg),
                       [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                         if (ec)
                           return;
                         if (keep_alive)
                           self->do_read();
                         else
                           self->do_eof();
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
  admission::verdict admitted_;
  admission::ticket ticket_; ///< after ctx_: released before the context can go
  listener_role role_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

} // namespace

void run_http_session(tcp::socket socket, context_ptr ctx, admission::verdict admitted,
                      admission::ticket ticket, listener_role role) {
  std::make_shared<http_session<plain_stream>>(plain_stream{std::move(socket)}, std::move(ctx),
                                               admitted, std::move(ticket), role)
    ->run();
}

void run_https_session(tcp::socket socket, context_ptr ctx, admission::verdict admitted,
                       admission::ticket ticket) {
  auto& tls = *ctx->tls;
  std::make_shared<http_session<tls_stream>>(tls_stream{std::move(socket), tls}, std::move(ctx),
                                             admitted, std::move(ticket), listener_role::chat)
    ->run();
}

} // namespace actorchat::netio
