#include "net/listener.hpp"

#include "config/log.hpp"
#include "net/http_session.hpp"

namespace actorchat::netio {

listener::listener(asio::io_context& ioc, context_ptr ctx, listener_role role)
  : ctx_(std::move(ctx)), role_(role), acceptor_(asio::make_strand(ioc)),
    retry_timer_(acceptor_.get_executor()) {
}

beast::error_code listener::open(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

tcp::endpoint listener::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::run() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::do_accept() {
  // Each connection lives on one network thread, its lane (round-robin): its handlers run one at
  // a time there without a strand, and what actors hand it goes through that lane's inbox.
  auto& lane = ctx_->pick_lane();
  acceptor_.async_accept(lane.ioc->get_executor(),
                         beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open())
    return;
  if (ec) {
    // Typically EMFILE/ENFILE: back off briefly instead of spinning on the error.
    log::warn("accept_failed", "error=" + log::quote(ec.message()));
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec)
        self->do_accept();
    });
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  if (role_ == listener_role::metrics) {
    // Scrapers and probes: no caps (the listener is meant for a private address), no TLS.
    run_http_session(std::move(socket), ctx_, admission::verdict::admitted, {}, role_);
    do_accept();
    return;
  }
  admission::ticket ticket;
  auto peer = socket.remote_endpoint(ec);
  auto verdict = ec ? admission::verdict::admitted // gone already; its session ends at once
                    : ctx_->admit.admit(peer.address(), admission::clock::now(), ticket);
  switch (verdict) {
    case admission::verdict::admitted: break;
    case admission::verdict::server_full:
      ctx_->metrics->connections_refused[static_cast<size_t>(refusal::server_full)].inc();
      break;
    case admission::verdict::address_full:
      ctx_->metrics->connections_refused[static_cast<size_t>(refusal::address_full)].inc();
      break;
    case admission::verdict::address_rate:
      ctx_->metrics->connections_refused[static_cast<size_t>(refusal::address_rate)].inc();
      break;
  }
  if (ctx_->tls)
    run_https_session(std::move(socket), ctx_, verdict, std::move(ticket));
  else
    run_http_session(std::move(socket), ctx_, verdict, std::move(ticket), role_);
  do_accept();
}

} // namespace actorchat::netio
