// session_registry: the live WebSocket sessions, so that shutdown can close every one of them.
// Thread-safe (sessions add and remove themselves from their own network threads).
#pragma once

#include "actors/connection.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace actorchat::netio {

class session_registry {
public:
  void add(const std::shared_ptr<connection>& c) {
    std::lock_guard<std::mutex> guard{mtx_};
    live_.emplace(c.get(), c);
  }

  void remove(const connection* c) {
    std::lock_guard<std::mutex> guard{mtx_};
    live_.erase(c);
  }

  size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return live_.size();
  }

  /// Strong references to every session still alive.
  std::vector<std::shared_ptr<connection>> snapshot() const {
    std::vector<std::shared_ptr<connection>> out;
    std::lock_guard<std::mutex> guard{mtx_};
    out.reserve(live_.size());
    for (auto& kv : live_)
      if (auto c = kv.second.lock())
        out.push_back(std::move(c));
    return out;
  }

private:
  mutable std::mutex mtx_;
  std::unordered_map<const connection*, std::weak_ptr<connection>> live_;
};

} // namespace actorchat::netio
