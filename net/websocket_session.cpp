#include "net/websocket_session.hpp"

#include "actors/client.hpp"
#include "config/log.hpp"
#include "actors/utf8.hpp"

#include <caf/send.hpp>

#include <chrono>
#include <type_traits>
#include <vector>

namespace actorchat::netio {

namespace {

using clock = std::chrono::steady_clock;

/// Coalescing bounds: pending payloads are joined with '\n' into one frame of at most this many
/// bytes (a single larger payload goes alone) and this many payloads.
constexpr size_t max_frame_bytes = 64 * 1024;
constexpr size_t max_frame_payloads = 256;

/// Reading: the first read of a message appends at most first_read_bytes to the read buffer
/// (most chat frames fit); a buffer grown past max_kept_read_buffer is freed once its message
/// is handled.
constexpr size_t first_read_bytes = 256;
constexpr size_t max_kept_read_buffer = 4096;

/// Write buffers between writes: each Asio thread keeps spare ones, up to spare_write_bytes of
/// them in all, for its connections' next writes. A sweep over a room of 1000 takes 1000 at
/// once (their writes complete after it), so a pool of a few dozen made each sweep allocate
/// and free them again, and glibc gave the freed heap back to the kernel and faulted it in anew:
/// 12% of the server's CPU at 1000/4 (docs/BENCHMARKS.md). An idle connection holds none.
constexpr size_t spare_write_bytes = 4 * 1024 * 1024;

struct spare_pool {
  std::vector<std::string> buffers;
  size_t bytes = 0; ///< their capacities
};

spare_pool& spare_buffers() {
  thread_local spare_pool spare;
  return spare;
}

std::string take_write_buffer() {
  auto& spare = spare_buffers();
  if (spare.buffers.empty())
    return {};
  auto b = std::move(spare.buffers.back());
  spare.buffers.pop_back();
  spare.bytes -= b.capacity();
  return b;
}

void give_back_write_buffer(std::string&& b) {
  auto& spare = spare_buffers();
  if (b.capacity() <= max_frame_bytes + 1024 && spare.bytes + b.capacity() <= spare_write_bytes) {
    b.clear();
    spare.bytes += b.capacity();
    spare.buffers.push_back(std::move(b));
  }
  std::string{}.swap(b);
}

/// The largest frame read for a chat.max-message-size of `max_text`: a say command wraps the
/// text in JSON, and escaping can make each byte of text six bytes long (\u0001). The text
/// itself is held to max_text by the client actor (close 1009 for a plain frame, error
/// text_too_long for a command).
size_t frame_limit(size_t max_text) {
  return max_text * 6 + 1024;
}

/// Close reasons are limited to 123 bytes by RFC 6455.
std::string clip_reason(std::string reason) {
  if (reason.size() > 123)
    reason.resize(123);
  return reason;
}

/// One WebSocket connection.
///
/// Threading: every member is touched only on the session's network thread (its lane: the one
/// thread of its socket's io_context), except the connection interface (send, close, send_all,
/// resume_reading), which actors call from CAF threads and which only hands the work over
/// (on_own_thread) through that lane's inbox. One reader (do_read) and one writer (do_write)
/// per connection; the write queue belongs to the session alone. The session holds the strong handle of its client
/// actor; the actor holds only a weak pointer back (no reference cycle).
template <class Stream>
class websocket_session : public connection,
                          public lane_inbox::writer,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
public:
  websocket_session(Stream&& stream, bool autojoin, context_ptr ctx, admission::ticket ticket)
    : ws_(std::move(stream)), ctx_(std::move(ctx)), ticket_(std::move(ticket)),
      autojoin_(autojoin), timer_(ws_.get_executor()),
      inbox_(ctx_->lane_of(ws_.get_executor()).inbox.get()) {
  }

  ~websocket_session() override {
    if (actor_)
      caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    ctx_->metrics->send_queue.sub(static_cast<int64_t>(queue_counted_));
  }

  void run(request req) {
    auto& cfg = ctx_->cfg;
    // The HTTP layer's deadline is done; the WebSocket layer has its own timers.
    if constexpr (!std::is_same_v<Stream, tcp::socket>)
      beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout opt{};
    opt.handshake_timeout = cfg.handshake_timeout; // also bounds the closing handshake
    opt.idle_timeout = websocket::stream_base::none(); // keepalive is ours: see on_tick
    opt.keep_alive_pings = false;
    ws_.set_option(opt);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "actorchat");
    }));
    ws_.read_message_max(frame_limit(cfg.max_message_size));
    ws_.auto_fragment(false);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong)
        heard_from_peer();
    });
    peer_ = endpoint_string();
    ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept,
                                                    this->shared_from_this()));
  }

  // -- connection interface (called from CAF threads) --------------------------------------

  void send(payload_batch batch) override {
    on_own_thread([self = this->shared_from_this(), b = std::move(batch)] { self->enqueue(b); });
  }

  void close(close_code code, std::string reason) override {
    on_own_thread([self = this->shared_from_this(), code, r = std::move(reason)]() mutable {
      self->start_close(code, std::move(r));
    });
  }

  /// The sessions of one network thread share its lane_inbox: a room's batch for all of them is
  /// one hand-off (send_all) instead of one per session.
  const void* lane() const noexcept override { return inbox_; }

  void send_all(std::vector<std::shared_ptr<connection>> group, payload_batch batch) override {
    on_own_thread([g = std::move(group), b = std::move(batch)] {
      for (auto& c : g)
        c->take_on_lane(b);
    });
  }

  void take_on_lane(const payload_batch& batch) override { enqueue(batch); }

  void resume_reading() override {
    on_own_thread([self = this->shared_from_this()] {
      if (self->reading_paused_ && !self->finished_ && !self->close_requested_) {
        self->reading_paused_ = false;
        self->do_read();
      }
    });
  }

  /// lane_inbox::writer: the inbox has run; write what it queued.
  void write_deferred() override {
    write_deferred_ = false;
    do_write();
  }

private:
  /// Runs `f` on this session's thread, through its lane's inbox: in order with everything
  /// else actors hand over.
  template <class F>
  void on_own_thread(F&& f) {
    inbox_->push(std::forward<F>(f));
  }

  /// The TCP socket under the WebSocket (and TLS) layers.
  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>)
      return ws_.next_layer();
    else
      return beast::get_lowest_layer(ws_).socket();
  }

  std::string endpoint_string() {
    beast::error_code ec;
    auto ep = socket().remote_endpoint(ec);
    return ec ? std::string{"?"} : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      ctx_->metrics->handshake_failed("other");
      log::info("handshake_failed", "peer=" + peer_ + " error=" + log::quote(ec.message()));
      return;
    }
    if (ctx_->draining) {
      // Shutdown began while this handshake was in flight: the upgrade completed (101 sent)
      // and the connection closes at once; counted as opened and closed, never as open now.
      ctx_->metrics->connections_opened.inc();
      ctx_->metrics->connections_closed[static_cast<size_t>(close_reason::going_away)].inc();
      start_close(close_code::going_away, "server shutting down");
      return;
    }
    auto& cfg = ctx_->cfg;
    nick_ = ctx_->guest_prefix + std::to_string(ctx_->next_guest.fetch_add(1));
    credit_ = std::make_shared<send_credit>(cfg.send_queue);
    window_ = std::make_shared<receive_window>(static_cast<uint32_t>(cfg.max_frames_in_flight));
    auto self = this->shared_from_this();
    credit_->set_sink(connection_ref{std::weak_ptr<connection>{self}, ctx_->gate});
    ctx_->sessions.add(self);
    registered_ = true;
    ctx_->metrics->connections_opened.inc();
    ctx_->metrics->connections.add(1);
    // The welcome goes first, from here rather than from the client actor: a connection that
    // joins no room gets its actor only with its first frame (spawn_actor), and until then
    // costs no actor's memory (docs/BENCHMARKS.md, memory per connection).
    credit_->force_acquire(1);
    enqueue(std::make_shared<const std::vector<payload>>(
      1, welcome_for(*ctx_->client_settings, nick_)));
    if (autojoin_)
      spawn_actor();
    log::info("connect", "peer=" + peer_ + " nick=" + nick_);
    last_ping_at_ = clock::now();
    schedule(last_ping_at_ + cfg.ping_interval);
    do_read();
    // A drain that began between the check above and sessions.add took its snapshot without
    // this session: close it here (the registry's mutex orders the two, so one of them sees it).
    if (ctx_->draining)
      start_close(close_code::going_away, "server shutting down");
  }

  /// Spawns the client actor that serves this connection (at the upgrade with autojoin, else
  /// at the first frame); false if the session has ended.
  bool spawn_actor() {
    if (finished_)
      return false;
    connection_ref ref{std::weak_ptr<connection>{this->shared_from_this()}, ctx_->gate};
    actor_ = spawn_client(ctx_->sys, std::move(ref), credit_, window_, nick_, ctx_->services,
                          ctx_->client_settings, autojoin_, false);
    return true;
  }

  // -- reading (the one reader) -------------------------------------------------------------

  /// Starts the next read, unless the connection is closing: no read may start after
  /// async_close (Beast 1.81 deadlocks if the peer's close frame is already buffered; found by
  /// fuzz/ws_frames_fuzz.cpp), so once a close is requested the close handler ends the session.
  void do_read() {
    if (close_requested_ || finished_)
      return;
    reading_ = true;
    // A message's first read prepares first_read_bytes only, so that an idle connection's
    // pending read holds that much rather than Beast's 1.5 KB (docs/BENCHMARKS.md, memory);
    // the rest of a longer message is read on into the same buffer (on_read).
    auto limit = read_buffer_.size() == 0 ? first_read_bytes : max_frame_bytes;
    ws_.async_read_some(read_buffer_, limit,
                        beast::bind_front_handler(&websocket_session::on_read,
                                                  this->shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    reading_ = false;
    if (ec) {
      finish(ec);
      return;
    }
    heard_from_peer();
    if (!ws_.is_message_done()) {
      do_read();
      return;
    }
    auto data = read_buffer_.data();
    std::string_view text{static_cast<const char*>(data.data()), data.size()};
    bool paused = false;
    if (!ws_.got_text()) {
      start_close(close_code::unsupported, "binary frames are not supported; send text");
    } else if (!valid_utf8(text)) {
      start_close(close_code::bad_payload, "text is not valid UTF-8");
    } else if (!close_requested_ && (actor_ || spawn_actor())) {
      caf::anon_send(actor_, inbound_atom::value, std::string{text});
      // Flow control: with max-frames-in-flight frames unhandled, stop reading this socket
      // until the client actor has handled some (resume_reading); TCP pushes back meanwhile.
      paused = !window_->take() && window_->pause();
    }
    read_buffer_.consume(read_buffer_.size());
    if (read_buffer_.capacity() > max_kept_read_buffer)
      read_buffer_.shrink_to_fit(); // a long message's buffer does not stay with the connection
    if (paused) {
      reading_paused_ = true;
      return;
    }
    do_read();
  }

  // -- writing (the one writer; the queue is ours alone) -------------------------------------

  void enqueue(const payload_batch& batch) {
    if (close_requested_ || finished_) {
      credit_->release(static_cast<uint32_t>(batch->size()));
      return;
    }
    queue_.insert(queue_.end(), batch->begin(), batch->end());
    count_queue();
    if (writing_ > 0 || write_deferred_)
      return;
    if (inbox_->running()) {
      // More batches may follow in this run of the inbox: write once, after them.
      write_deferred_ = true;
      inbox_->defer_write(this->shared_from_this());
      return;
    }
    do_write();
  }

  /// Brings the server-wide queued-objects gauge up to date with this queue's length.
  void count_queue() {
    auto now = static_cast<int64_t>(queue_.size());
    auto before = static_cast<int64_t>(queue_counted_);
    if (now != before)
      ctx_->metrics->send_queue.add(now - before);
    queue_counted_ = queue_.size();
  }

  /// Writes as many queued payloads as fit in one frame, joined by '\n'. They are copied into
  /// one flat buffer: a memcpy of a few KB costs less than Beast walking a sequence of two
  /// buffers per payload through its frame writer (docs/BENCHMARKS.md).
  void do_write() {
    if (writing_ > 0 || queue_.empty() || close_sent_)
      return;
    size_t bytes = 0;
    size_t n = 0;
    for (auto& p : queue_) {
      auto more = p->size() + (n > 0 ? 1 : 0);
      if (n > 0 && (n >= max_frame_payloads || bytes + more > max_frame_bytes))
        break;
      bytes += more;
      ++n;
    }
    write_buffer_ = take_write_buffer();
    write_buffer_.reserve(bytes);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0)
        write_buffer_.push_back('\n');
      write_buffer_.append(*queue_[i]);
    }
    writing_ = n;
    ctx_->metrics->send_queue_depth.observe(queue_.size());
    write_started_ = clock::now();
    schedule(write_started_ + ctx_->cfg.write_timeout);
    ws_.text(true);
    ws_.async_write(asio::buffer(write_buffer_),
                    beast::bind_front_handler(&websocket_session::on_write,
                                              this->shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    auto n = writing_;
    writing_ = 0;
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    count_queue();
    give_back_write_buffer(std::move(write_buffer_));
    credit_->release(static_cast<uint32_t>(n));
    if (ec) {
      abort_connection();
      return;
    }
    ctx_->metrics->messages_delivered.inc(n);
    ctx_->metrics->frames_sent.inc();
    if (close_requested_)
      send_close();
    else
      do_write();
  }

  // -- closing ------------------------------------------------------------------------------

  /// Stops taking payloads, drops what is queued but not being written, and sends a close frame
  /// once the write in progress (if any) completes.
  void start_close(close_code code, std::string reason) {
    if (close_requested_ || finished_)
      return;
    close_requested_ = true;
    close_code_ = code;
    close_reason_ = clip_reason(std::move(reason));
    auto unsent = queue_.size() - writing_;
    queue_.resize(writing_);
    count_queue();
    if (credit_)
      credit_->release(static_cast<uint32_t>(unsent));
    if (writing_ == 0)
      send_close();
  }

  void send_close() {
    if (close_sent_)
      return;
    close_sent_ = true;
    websocket::close_reason cr{static_cast<websocket::close_code>(close_code_), close_reason_};
    ws_.async_close(cr, [self = this->shared_from_this()](beast::error_code ec) {
      // The closing handshake is over (or failed): the session ends here. A read still pending
      // completes with an error and finds it finished.
      if (ec)
        self->abort_connection();
      self->finish(ec ? ec : beast::error_code{websocket::error::closed});
    });
  }

  /// Tears the TCP connection down without a closing handshake (peer unresponsive or gone).
  void abort_connection() {
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    // A pending read completes with an error and ends the session; without one, end it here.
    if (!reading_)
      finish(asio::error::connection_aborted);
  }

  /// The read loop ended: the connection is over.
  void finish(beast::error_code ec) {
    if (finished_)
      return;
    finished_ = true;
    ++timer_generation_;
    timer_.cancel();
    if (registered_)
      ctx_->sessions.remove(this);
    if (actor_) {
      caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
      actor_ = nullptr;
    }
    if (!registered_)
      return; // handshake never completed; on_accept logged it
    auto why = classify(ec);
    ctx_->metrics->connections.sub(1);
    ctx_->metrics->connections_closed[static_cast<size_t>(why)].inc();
    std::string fields = "peer=" + peer_ + " nick=" + nick_;
    if (close_sent_)
      fields += " sent_code=" + std::to_string(static_cast<uint16_t>(close_code_))
                + " sent_reason=" + log::quote(close_reason_);
    if (ws_.reason().code != websocket::close_code::none) {
      fields += " peer_code=" + std::to_string(ws_.reason().code);
      if (!ws_.reason().reason.empty())
        fields += " peer_reason=" + log::quote(std::string{ws_.reason().reason.c_str()});
    }
    if (!drop_reason_.empty())
      fields += " dropped=" + drop_reason_;
    if (ec != websocket::error::closed)
      fields += " error=" + log::quote(ec.message());
    fields += std::string{" reason="} + to_string(why);
    log::info("disconnect", fields);
  }

  /// Why the connection ended (metrics label and log field); `ec` ended the read loop.
  close_reason classify(const beast::error_code& ec) const {
    if (drop_reason_ == "pong_timeout")
      return close_reason::pong_timeout;
    if (drop_reason_ == "write_timeout")
      return close_reason::write_timeout;
    if (close_sent_) {
      switch (close_code_) {
        case close_code::going_away: return close_reason::going_away;
        case close_code::policy: return close_reason::policy;
        case close_code::too_big: return close_reason::too_big;
        case close_code::bad_payload: return close_reason::invalid_utf8;
        case close_code::unsupported: return close_reason::binary_frame;
        default: return close_reason::other;
      }
    }
    if (ec == websocket::error::closed || ws_.reason().code != websocket::close_code::none)
      return close_reason::client_closed;
    if (ec == websocket::error::message_too_big)
      return close_reason::too_big; // Beast closed with 1009
    if (ec.category() == beast::error_code{websocket::error::closed}.category())
      return close_reason::protocol_error; // Beast closed with 1002
    return close_reason::network_error;
  }

  // -- keepalive and write deadline ---------------------------------------------------------

  void heard_from_peer() {
    ping_outstanding_ = false;
  }

  /// Makes sure the timer fires no later than `at`.
  void schedule(clock::time_point at) {
    if (finished_ || (timer_armed_ && timer_at_ <= at))
      return;
    timer_armed_ = true;
    timer_at_ = at;
    auto generation = ++timer_generation_;
    timer_.expires_at(at);
    timer_.async_wait([self = this->shared_from_this(), generation](beast::error_code) {
      if (generation == self->timer_generation_)
        self->on_tick();
    });
  }

  void on_tick() {
    timer_armed_ = false;
    if (finished_)
      return;
    auto& cfg = ctx_->cfg;
    auto now = clock::now();
    if (writing_ > 0 && now - write_started_ >= cfg.write_timeout) {
      drop("write_timeout");
      return;
    }
    if (reading_paused_)
      heard_from_peer(); // its pong may wait unread behind its own frames: not its fault
    if (ping_outstanding_ && ping_written_ && now - ping_written_at_ >= cfg.pong_timeout) {
      drop("pong_timeout");
      return;
    }
    if (!ping_outstanding_ && !close_requested_ && now - last_ping_at_ >= cfg.ping_interval) {
      ping_outstanding_ = true;
      ping_written_ = false;
      last_ping_at_ = now;
      ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec)
          return;
        self->ping_written_ = true;
        self->ping_written_at_ = clock::now();
        self->schedule(self->ping_written_at_ + self->ctx_->cfg.pong_timeout);
      });
    }
    auto next = last_ping_at_ + cfg.ping_interval;
    if (writing_ > 0)
      next = std::min(next, write_started_ + cfg.write_timeout);
    if (ping_outstanding_ && ping_written_)
      next = std::min(next, ping_written_at_ + cfg.pong_timeout);
    schedule(std::max(next, now + std::chrono::milliseconds(1)));
  }

  void drop(const char* why) {
    drop_reason_ = why;
    abort_connection();
  }

  websocket::stream<Stream> ws_;
  context_ptr ctx_;
  admission::ticket ticket_; ///< after ctx_: released before the context can go
  bool autojoin_;
  std::string peer_;
  std::string nick_;
  client_actor actor_;
  credit_ptr credit_;
  window_ptr window_;        ///< frames read, not yet handled by the client actor
  bool reading_ = false;     ///< an async_read is pending
  bool reading_paused_ = false;
  bool registered_ = false;

  beast::flat_buffer read_buffer_;

  /// The write queue; the first writing_ are in flight. A vector, not a deque: an idle
  /// connection's empty deque holds a 512-byte block (docs/BENCHMARKS.md, memory).
  std::vector<payload> queue_;
  std::string write_buffer_; ///< the frame being written: queued payloads joined by '\n'
  size_t writing_ = 0;                        ///< payloads in the write in progress
  bool write_deferred_ = false;               ///< the lane_inbox calls write_deferred()
  size_t queue_counted_ = 0;                  ///< queue_.size() as counted in metrics
  clock::time_point write_started_;

  bool close_requested_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
  close_code close_code_ = close_code::normal;
  std::string close_reason_;
  std::string drop_reason_;

  asio::steady_timer timer_;
  lane_inbox* inbox_; ///< the lane's, which the server keeps as long as the io_context
  bool timer_armed_ = false;
  clock::time_point timer_at_;
  uint64_t timer_generation_ = 0;
  clock::time_point last_ping_at_;
  clock::time_point ping_written_at_;
  bool ping_outstanding_ = false;
  bool ping_written_ = false;
};

template <class Stream>
void start(Stream&& stream, request&& req, bool autojoin, context_ptr&& ctx,
           admission::ticket&& ticket) {
  auto session = std::make_shared<websocket_session<Stream>>(std::move(stream), autojoin,
                                                             std::move(ctx), std::move(ticket));
  session->run(std::move(req));
}

} // namespace

void run_websocket_session(plain_stream stream, request req, bool autojoin, context_ptr ctx,
                           admission::ticket ticket) {
  // Past the upgrade the plain socket alone: the WebSocket layer keeps its own deadlines, and
  // basic_stream's timers and per-operation wrapper would cost memory and time on every
  // connection and write (docs/BENCHMARKS.md).
  start(stream.release_socket(), std::move(req), autojoin, std::move(ctx), std::move(ticket));
}

void run_websocket_session(tls_stream stream, request req, bool autojoin, context_ptr ctx,
                           admission::ticket ticket) {
  start(std::move(stream), std::move(req), autojoin, std::move(ctx), std::move(ticket));
}

} // namespace actorchat::netio
