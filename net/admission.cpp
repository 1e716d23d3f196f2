#include "net/admission.hpp"

#include <algorithm>

namespace actorchat::netio {

void admission::ticket::reset() {
  if (owner_ != nullptr) {
    owner_->release(address_);
    owner_ = nullptr;
  }
}

const char* admission::describe(verdict v) {
  switch (v) {
    case verdict::admitted: return "admitted";
    case verdict::server_full: return "the server has as many connections as it allows";
    case verdict::address_full: return "too many connections from your address";
    case verdict::address_rate: return "too many new connections from your address; slow down";
  }
  return "refused";
}

void admission::refill(entry& e, clock::time_point now) const {
  if (limits_.rate_per_ip <= 0)
    return;
  std::chrono::duration<double> elapsed = now - e.refilled;
  e.tokens = std::min(limits_.burst_per_ip, e.tokens + elapsed.count() * limits_.rate_per_ip);
  e.refilled = now;
}

admission::verdict admission::admit(const asio::ip::address& address, clock::time_point now,
                                    ticket& out) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (++admits_since_sweep_ >= 1024)
    sweep(now);
  if (limits_.max_connections > 0 && active_ >= limits_.max_connections)
    return verdict::server_full;
  bool per_address = limits_.max_per_ip > 0 || limits_.rate_per_ip > 0;
  if (per_address) {
    auto [i, fresh] = by_address_.try_emplace(address);
    auto& e = i->second;
    if (fresh) {
      e.tokens = limits_.burst_per_ip;
      e.refilled = now;
    }
    refill(e, now);
    if (limits_.max_per_ip > 0 && e.active >= limits_.max_per_ip)
      return verdict::address_full;
    if (limits_.rate_per_ip > 0) {
      if (e.tokens < 1)
        return verdict::address_rate;
      e.tokens -= 1;
    }
    ++e.active;
  }
  ++active_;
  out = ticket{this, address};
  return verdict::admitted;
}

void admission::release(const asio::ip::address& address) {
  std::lock_guard<std::mutex> guard{mtx_};
  --active_;
  auto i = by_address_.find(address);
  if (i != by_address_.end() && i->second.active > 0)
    --i->second.active;
}

/// Forgets addresses with no connection whose bucket is full again: they are as new.
void admission::sweep(clock::time_point now) {
  admits_since_sweep_ = 0;
  for (auto i = by_address_.begin(); i != by_address_.end();) {
    refill(i->second, now);
    bool full = limits_.rate_per_ip <= 0 || i->second.tokens >= limits_.burst_per_ip;
    if (i->second.active == 0 && full)
      i = by_address_.erase(i);
    else
      ++i;
  }
}

size_t admission::active() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return active_;
}

size_t admission::tracked() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return by_address_.size();
}

} // namespace actorchat::netio
