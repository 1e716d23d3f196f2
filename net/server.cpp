#include "net/server.hpp"

#include "config/log.hpp"
#include "net/beast.hpp"
#include "net/listener.hpp"
#include "net/server_context.hpp"
#include "net/tls.hpp"

#include <caf/deep_to_string.hpp>

#include <filesystem>
#include <thread>

namespace actorchat {

using namespace netio;

struct server::impl {
  impl(const chat_config& c, caf::actor_system& s, client_services services,
       client_settings_ptr settings, metrics_ptr counters)
    : cfg(c), ctx(std::make_shared<server_context>(c, s)), signals(ioc, SIGINT, SIGTERM),
      drain_timer(ioc) {
    ctx->services = std::move(services);
    ctx->client_settings = std::move(settings);
    ctx->metrics = counters ? std::move(counters) : std::make_shared<metrics>();
    // Network thread 0 is this one, whose io_context also runs the listeners, signals and
    // drain; the others run only their connections.
    add_lane(ioc);
    for (size_t i = 1; i < cfg.io_threads; ++i) {
      extra.push_back(std::make_unique<asio::io_context>());
      extra_work.emplace_back(asio::make_work_guard(*extra.back()));
      add_lane(*extra.back());
    }
  }

  void add_lane(asio::io_context& c) {
    ctx->lanes.push_back({&c, std::make_shared<lane_inbox>(c.get_executor(), cfg.write_gather)});
  }

  const chat_config& cfg;
  context_ptr ctx;
  /// The io_contexts of network threads 1.. (chat.io-threads), kept running while idle.
  /// Declared before ioc, so they go after it: the accept pending in ioc holds a socket of one.
  std::vector<std::unique_ptr<asio::io_context>> extra;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> extra_work;
  asio::io_context ioc;
  asio::signal_set signals;
  asio::steady_timer drain_timer;
  std::shared_ptr<listener> acceptor;
  std::shared_ptr<listener> metrics_acceptor; ///< chat.metrics-port, if set
  std::chrono::steady_clock::time_point drain_deadline;
  bool draining = false;

  bool prepare() {
    std::error_code fs_ec;
    ctx->web_root = std::filesystem::canonical(cfg.web_root, fs_ec).string();
    if (fs_ec) {
      log::error("startup_failed", "key=chat.web-root error=" + log::quote(fs_ec.message()));
      return false;
    }
    if (!cfg.tls_cert.empty()) {
      std::string err;
      ctx->tls = make_tls_context(cfg, err);
      if (!ctx->tls) {
        log::error("startup_failed", "error=" + log::quote(err));
        return false;
      }
    }
    acceptor = open_listener(cfg.host, cfg.port, listener_role::chat, "chat.host", "chat.port");
    if (!acceptor)
      return false;
    auto host = url_host(*acceptor);
    auto scheme = ctx->tls ? std::string{"https"} : std::string{"http"};
    log::info("listening", "url=" + scheme + "://" + host + " websocket="
                             + (ctx->tls ? "wss" : "ws") + "://" + host + "/ws");
    return open_metrics_listener();
  }

  /// Resolves `host` (an address or a name such as "localhost") and opens a listener of `role`
  /// on `port` there; null after a startup_failed line that names the keys (`host_key`,
  /// `port_key`) the operator must fix.
  std::shared_ptr<listener> open_listener(const std::string& host, uint16_t port,
                                          listener_role role, const std::string& host_key,
                                          const std::string& port_key) {
    tcp::resolver resolver{ioc};
    beast::error_code ec;
    auto results = resolver.resolve(host, std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      log::error("startup_failed", "key=" + host_key + " host=" + log::quote(host)
                                     + " error=" + log::quote(ec ? ec.message() : "no address"));
      return nullptr;
    }
    auto opened = std::make_shared<listener>(ioc, ctx, role);
    auto endpoint = results.begin()->endpoint();
    if (auto listen_ec = opened->open(endpoint)) {
      log::error("startup_failed", "keys=" + host_key + "," + port_key + " address="
                                     + endpoint.address().to_string() + " port="
                                     + std::to_string(port)
                                     + " error=" + log::quote(listen_ec.message()));
      return nullptr;
    }
    return opened;
  }

  /// "address:port" of where `l` listens, as a URL has it ("[::1]:8080" for IPv6).
  static std::string url_host(const listener& l) {
    auto local = l.local_endpoint();
    auto host = local.address().to_string();
    if (local.address().is_v6())
      host = "[" + host + "]";
    return host + ":" + std::to_string(local.port());
  }

  /// The separate plain-HTTP listener for /metrics and /healthz (chat.metrics-port), if set.
  bool open_metrics_listener() {
    if (cfg.metrics_port == 0)
      return true;
    metrics_acceptor = open_listener(cfg.metrics_host, cfg.metrics_port, listener_role::metrics,
                                     "chat.metrics-host", "chat.metrics-port");
    if (!metrics_acceptor)
      return false;
    log::info("metrics_listening", "url=http://" + url_host(*metrics_acceptor)
                                     + std::string{metrics_path} + " metrics=" + cfg.metrics);
    return true;
  }

  void on_signal(const beast::error_code& ec, int signo) {
    if (ec)
      return;
    if (draining) {
      log::warn("shutdown_forced", "signal=" + std::to_string(signo));
      ioc.stop();
      return;
    }
    draining = true;
    ctx->draining = true;
    ctx->metrics->draining.set(1);
    log::info("shutdown_started", "signal=" + std::to_string(signo) + " clients="
                                    + std::to_string(ctx->sessions.size()) + " drain_delay="
                                    + caf::deep_to_string(cfg.drain_delay));
    signals.async_wait([this](const beast::error_code& e, int s) { on_signal(e, s); });
    // The listeners stay open until the io_context stops: new upgrades get 503 (http_session)
    // and /healthz says "draining", so that load balancers stop sending clients here. During
    // drain-delay the connected clients go on chatting, so that a load balancer's probes have
    // time to see it; then they are closed.
    if (cfg.drain_delay.count() <= 0) {
      close_clients();
      return;
    }
    drain_timer.expires_after(cfg.drain_delay);
    drain_timer.async_wait([this](const beast::error_code& ec) {
      if (!ec)
        close_clients();
    });
  }

  /// Sends 1001 to every client and waits for them (poll_drain), at most 4/5 of
  /// shutdown-timeout: a fifth of it stays for the actor system to wind down after the network.
  void close_clients() {
    auto clients = ctx->sessions.snapshot();
    log::info("shutdown_closing", "clients=" + std::to_string(clients.size()));
    for (auto& c : clients)
      c->close(close_code::going_away, "server shutting down");
    drain_deadline = std::chrono::steady_clock::now() + cfg.shutdown_timeout * 4 / 5;
    poll_drain();
  }

  /// Stops the io_context once every client is gone or the deadline passed.
  void poll_drain() {
    auto left = ctx->sessions.size();
    if (left == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
      if (left > 0)
        log::warn("shutdown_timeout", "clients_left=" + std::to_string(left));
      ioc.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(10));
    drain_timer.async_wait([this](const beast::error_code& ec) {
      if (!ec)
        poll_drain();
    });
  }
};

server::server(const chat_config& cfg, caf::actor_system& sys, client_services services,
               client_settings_ptr settings, metrics_ptr counters)
  : impl_(std::make_unique<impl>(cfg, sys, std::move(services), std::move(settings),
                                 std::move(counters))) {
}

server::~server() = default;

int server::run() {
  auto& d = *impl_;
  if (!d.prepare())
    return 1;
  d.signals.async_wait([&d](const beast::error_code& ec, int signo) { d.on_signal(ec, signo); });
  d.acceptor->run();
  if (d.metrics_acceptor)
    d.metrics_acceptor->run();
  std::vector<std::thread> threads;
  for (auto& x : d.extra)
    threads.emplace_back([&x] { x->run(); });
  d.ioc.run();
  // The drain is over (or forced): the other network threads stop too.
  for (auto& x : d.extra)
    x->stop();
  for (auto& t : threads)
    t.join();
  // Actors still run: from here on none may lock a session (and post to, or destroy it on a
  // CAF thread) while ~io_context destroys what is queued (actors/connection_ref.hpp).
  d.ctx->gate->close();
  // What actors handed over and a thread never ran holds sessions, and each inbox has a timer:
  // they go now, while the io_contexts they belong to still exist.
  for (auto& l : d.ctx->lanes)
    l.inbox->shutdown();
  log::info("shutdown_network_done", "clients_left=" + std::to_string(d.ctx->sessions.size()));
  return 0;
}

} // namespace actorchat
