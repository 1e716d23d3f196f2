// admission: the connection caps, checked when a TCP connection is accepted. A global cap
// (chat.max-connections), a per-source-address cap on concurrent connections
// (chat.max-connections-per-ip) and a per-source-address token bucket on new connections
// (chat.connect-rate-per-ip per second, bursts of chat.connect-burst-per-ip). A connection over
// a cap is answered 503 by its http_session and closed; it is not counted.
//
// Thread-safe: the listener admits, sessions on any io thread release (through their ticket).
#pragma once

#include "net/beast.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace actorchat::netio {

struct admission_limits {
  size_t max_connections = 0;   ///< 0 = no cap
  size_t max_per_ip = 0;        ///< 0 = no cap
  double rate_per_ip = 0;       ///< new connections per second; 0 = no cap
  double burst_per_ip = 0;      ///< bucket size for rate_per_ip
};

class admission {
public:
  using clock = std::chrono::steady_clock;

  enum class verdict { admitted, server_full, address_full, address_rate };

  /// Holds one admitted connection's place; gives it back when destroyed. Movable.
  class ticket {
  public:
    ticket() = default;
    ticket(ticket&& other) noexcept : owner_(other.owner_), address_(other.address_) {
      other.owner_ = nullptr;
    }
    ticket& operator=(ticket&& other) noexcept {
      if (this != &other) {
        reset();
        owner_ = other.owner_;
        address_ = other.address_;
        other.owner_ = nullptr;
      }
      return *this;
    }
    ~ticket() { reset(); }
    explicit operator bool() const { return owner_ != nullptr; }
    void reset();

  private:
    friend class admission;
    ticket(admission* owner, const asio::ip::address& address)
      : owner_(owner), address_(address) {}
    admission* owner_ = nullptr;
    asio::ip::address address_;
  };

  explicit admission(admission_limits limits) : limits_(limits) {}

  /// Admits a connection from `address` at `now`: the verdict, and a valid ticket if admitted.
  verdict admit(const asio::ip::address& address, clock::time_point now, ticket& out);

  /// Connections admitted and not yet released.
  size_t active() const;

  /// Source addresses tracked (for tests: the table must not grow without bound).
  size_t tracked() const;

  /// Why, for the 503 body and the log.
  static const char* describe(verdict v);

private:
  struct entry {
    size_t active = 0;
    double tokens = 0;
    clock::time_point refilled;
  };

  void release(const asio::ip::address& address);
  void refill(entry& e, clock::time_point now) const;
  void sweep(clock::time_point now);

  admission_limits limits_;
  mutable std::mutex mtx_;
  size_t active_ = 0;
  size_t admits_since_sweep_ = 0;
  std::unordered_map<asio::ip::address, entry> by_address_;
};

} // namespace actorchat::netio
