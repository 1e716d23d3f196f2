// Test doubles for the actor layer: a room member that records what it gets, and a connection
// that records what a client actor hands it.
#pragma once

#include "actors/connection.hpp"
#include "actors/store.hpp"
#include "actors/types.hpp"

#include <caf/typed_event_based_actor.hpp>

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
  uint64_t acks = 0;             ///< broadcasts acknowledged (sum of ack_atom counts)
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
    [=](ack_atom, uint32_t n) { log->acks += n; },
  };
}

/// What a fake store holds, and a switch to make it fail.
struct store_data {
  std::vector<chat_message> messages; ///< every persisted message, in order
  size_t persist_calls = 0;
  bool failing = false; ///< persist and recover answer store_unavailable
};

/// An in-memory store for deterministic tests (the real one runs detached, on its own thread).
inline store_actor::behavior_type fake_store(store_actor::pointer,
                                             std::shared_ptr<store_data> data) {
  auto of_room = [data](const std::string& room) {
    std::vector<chat_message> out;
    for (auto& m : data->messages)
      if (m.room == room)
        out.push_back(m);
    return out;
  };
  return {
    [data](persist_atom, std::vector<chat_message>& msgs) -> caf::result<uint64_t> {
      ++data->persist_calls;
      if (data->failing)
        return make_error(chat_errc::store_unavailable);
      data->messages.insert(data->messages.end(), msgs.begin(), msgs.end());
      return msgs.back().seq;
    },
    [data, of_room](recover_atom, const std::string& room,
                    uint64_t limit) -> caf::result<room_recovery> {
      if (data->failing)
        return make_error(chat_errc::store_unavailable);
      auto all = of_room(room);
      room_recovery rec;
      rec.last_seq = all.empty() ? 0 : all.back().seq;
      auto first = all.size() > limit ? all.end() - static_cast<std::ptrdiff_t>(limit) : all.begin();
      rec.recent.assign(first, all.end());
      return rec;
    },
    [of_room](page_atom, const std::string& room, uint64_t before, uint64_t limit) {
      std::vector<chat_message> older;
      for (auto& m : of_room(room))
        if (before == 0 || m.seq < before)
          older.push_back(m);
      auto first = older.size() > limit ? older.end() - static_cast<std::ptrdiff_t>(limit)
                                        : older.begin();
      history_page page;
      page.complete = first == older.begin();
      page.messages.assign(first, older.end());
      return page;
    },
    [data](health_atom) { return std::make_tuple(!data->failing, std::string{}); },
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
  void resume_reading() override { ++resumes; }

  std::vector<payload_batch> batches;
  std::vector<payload> sent;
  std::vector<std::pair<close_code, std::string>> closes;
  size_t resumes = 0; ///< resume_reading calls
};

/// A recording connection on a lane (actors/connection.hpp): counts the one-hand-off batches
/// for a group (send_all) and what reached it that way.
class lane_connection : public fake_connection {
public:
  explicit lane_connection(const void* lane) : lane_(lane) {}
  const void* lane() const noexcept override { return lane_; }
  void send_all(std::vector<std::shared_ptr<connection>> group, payload_batch batch) override {
    group_sizes.push_back(group.size());
    for (auto& c : group)
      c->take_on_lane(batch);
  }
  void take_on_lane(const payload_batch& batch) override {
    ++taken_on_lane;
    send(batch);
  }

  std::vector<size_t> group_sizes; ///< per send_all made through this one
  size_t taken_on_lane = 0;

private:
  const void* lane_;
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

/// The "type" of a payload.
inline std::string type_of(const payload& p) {
  return field(p, "type");
}

/// The payloads of one type, in order.
inline std::vector<payload> of_type(const std::vector<payload>& ps, const std::string& type) {
  std::vector<payload> out;
  for (auto& p : ps)
    if (type_of(p) == type)
      out.push_back(p);
  return out;
}

/// The "seq" of a message payload.
inline uint64_t seq_of(const payload& p) {
  return parse(p).at("seq").to_number<uint64_t>();
}

/// The seq numbers of the "message" payloads, in order.
inline std::vector<uint64_t> seqs(const std::vector<payload>& ps) {
  std::vector<uint64_t> out;
  for (auto& p : of_type(ps, "message"))
    out.push_back(seq_of(p));
  return out;
}

/// A fake member as a test holds it: its handle, its send credit and what it saw.
struct member {
  member_actor handle;
  credit_ptr credit;
  std::shared_ptr<member_log> log;

  std::vector<payload> of(const std::string& type) const { return of_type(log->received, type); }
  std::vector<payload> messages() const { return of("message"); }
};

/// A behaviour's seat that records the commands the behaviour sends through it.
inline client_actor::behavior_type fake_seat(client_actor::pointer,
                                             std::shared_ptr<std::vector<std::string>> frames) {
  return {
    [=](inbound_atom, const std::string& frame) { frames->push_back(frame); },
    [](deliver_atom, const payload_batch&) {},
    [](overflow_atom, const std::string&) {},
    [](ack_atom, uint32_t) {},
    [](settings_atom, const client_settings_ptr&) {},
  };
}

/// A JSON command as an object (a copy).
inline boost::json::object parse_frame(const std::string& frame) {
  return boost::json::parse(frame).as_object();
}

} // namespace actorchat::test
