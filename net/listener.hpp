// listener: accepts TCP connections, each onto one network thread's io_context (its lane,
// round-robin), and starts an HTTP session.
#pragma once

#include "net/beast.hpp"
#include "net/server_context.hpp"

#include <memory>

namespace actorchat::netio {

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(asio::io_context& ioc, context_ptr ctx, listener_role role = listener_role::chat);

  /// Opens, binds and listens; a failure names what went wrong.
  beast::error_code open(const tcp::endpoint& endpoint);

  tcp::endpoint local_endpoint() const;

  /// Starts accepting. It accepts until the io_context stops: during a drain, new upgrades are
  /// answered 503 and /healthz "draining" (net/http_session.cpp), which needs the socket open.
  void run();

private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  context_ptr ctx_;
  listener_role role_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_; ///< backs off when accept fails (e.g. out of descriptors)
};

} // namespace actorchat::netio
