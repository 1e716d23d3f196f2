// rate_limit: the per-connection token bucket on inbound frames (chat.rate-limit frames per
// second, bursts of chat.rate-burst).
//
// Every frame costs a token, refused frames too: a client that keeps sending while refused runs
// into debt, and at a debt of `burst` tokens it is closed. A client sending at twice the rate is
// closed within about 2 * burst / rate seconds; one that backs off when refused recovers at
// `rate` tokens per second. The clock is the caller's (CAF's actor clock, so that tests can
// drive it).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace actorchat {

class rate_limit {
public:
  enum class verdict { allow, refuse, close };

  /// `rate` tokens per second up to `burst`; rate 0 = no limit.
  rate_limit(size_t rate, size_t burst)
    : rate_(static_cast<double>(rate)), burst_(static_cast<double>(std::max<size_t>(burst, 1))),
      tokens_(burst_) {}

  template <class TimePoint>
  verdict take(TimePoint now) {
    if (rate_ <= 0)
      return verdict::allow;
    auto now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
    if (started_)
      tokens_ = std::min(burst_, tokens_ + (now_s - last_s_) * rate_);
    started_ = true;
    last_s_ = now_s;
    bool allowed = tokens_ >= 1;
    tokens_ -= 1;
    if (allowed)
      return verdict::allow;
    return tokens_ <= -burst_ ? verdict::close : verdict::refuse;
  }

  bool enabled() const { return rate_ > 0; }

private:
  double rate_;
  double burst_;
  double tokens_;
  double last_s_ = 0;
  bool started_ = false;
};

} // namespace actorchat
