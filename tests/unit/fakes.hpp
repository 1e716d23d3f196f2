// Test doubles for the actor layer: a room member that records what it gets, and a connection
// that records what a client actor hands it.
#pragma once

#include "actors/connection.hpp"
#include "actors/types.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace actorchat::test {

/// What a fake member saw.
struct member_log {
  std::vector<payload> received; ///< every payload, in order
  size_t batches = 0;            ///< deliver messages
  size_t overflows = 0;          ///< overflow messages
};

/// A room member. A fast one releases its credit as soon as it gets a batch (as a connection
/// does once the bytes are written); a slow one never does, like a peer that stopped reading.
inline member_actor::behavior_type fake_member(member_actor::pointer self,
                                               std::shared_ptr<member_log> log,
                                               credit_ptr credit, bool fast) {
  return {
    [=](deliver_atom, const payload_batch& batch) {
      ++log->batches;
      log->received.insert(log->received.end(), batch->begin(), batch->end());
      if (fast)
        credit->release(static_cast<uint32_t>(batch->size()));
    },
    [=](overflow_atom, const std::string&) {
      ++log->overflows;
      self->quit();
    },
  };
}

/// A connection that records instead of writing. The deterministic test scheduler runs
/// everything on one thread, so no locking.
class fake_connection : public connection {
public:
  void send(payload_batch batch) override {
    batches.push_back(batch);
    for (auto& p : *batch)
      sent.push_back(p);
  }
  void close(close_code code, std::string reason) override {
    closes.emplace_back(code, std::move(reason));
  }

  std::vector<payload_batch> batches;
  std::vector<payload> sent;
  std::vector<std::pair<close_code, std::string>> closes;
};

/// The JSON object in a payload.
inline boost::json::object parse(const payload& p) {
  return boost::json::parse(*p).as_object();
}

/// A string field of the JSON object in a payload (a copy: CAF_CHECK_EQUAL must not be handed a
/// reference into a temporary object).
inline std::string field(const payload& p, const char* key) {
  return std::string{parse(p).at(key).as_string()};
}

/// The "seq" of a message payload.
inline uint64_t seq_of(const payload& p) {
  return parse(p).at("seq").to_number<uint64_t>();
}

/// The seq numbers of all payloads, in order.
inline std::vector<uint64_t> seqs(const std::vector<payload>& ps) {
  std::vector<uint64_t> out;
  for (auto& p : ps)
    out.push_back(seq_of(p));
  return out;
}

} // namespace actorchat::test
