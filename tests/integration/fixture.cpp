#include "fixture.hpp"

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>

namespace actorchat::itest {

server_fixture::~server_fixture() {
  // A sanitizer report from any server fails the test (the asan preset runs every suite against
  // a sanitized server; its reports go to the server's stderr).
  for (auto& proc : servers_) {
    proc->wait_exit(milliseconds{0});
    auto text = proc->stderr_text();
    for (auto marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"})
      if (text.find(marker) != std::string::npos) {
        CAF_MESSAGE("sanitizer report (" << marker << ") from " << proc->command_line());
        CAF_CHECK(text.find(marker) == std::string::npos);
      }
  }
  auto* test = caf::test::engine::current_test();
  bool failed = test != nullptr && test->bad() > 0;
  bool echo = std::getenv("ACTORCHAT_TEST_ECHO") != nullptr;
  if (failed || echo) {
    for (auto& proc : servers_) {
      proc->wait_exit(milliseconds{0}); // reaps an exited server: its last lines get collected
      std::cerr << "---- stderr of " << proc->command_line() << " ----\n"
                << proc->stderr_text();
      if (auto out = proc->stdout_text(); !out.empty())
        std::cerr << "---- stdout ----\n" << out;
      std::cerr << "---- end ----\n";
    }
  }
  servers_.clear(); // kills and reaps whatever still runs
}

server_process& server_fixture::launch(std::vector<std::string> args) {
  servers_.push_back(std::make_unique<server_process>(server_binary(), std::move(args),
                                                      dir_.path()));
  return *servers_.back();
}

server_process& server_fixture::start(std::vector<std::string> extra) {
  std::vector<std::string> args{"--chat.port=0", "--chat.web-root=" + web_root()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto& proc = launch(std::move(args));
  bool listening = proc.wait_listening(start_timeout);
  if (!listening) // a failed CAF_REQUIRE aborts; main's SIGABRT handler prints the stderr
    CAF_MESSAGE("no 'INFO listening url=' line from: " << proc.command_line());
  CAF_REQUIRE(listening);
  return proc;
}

server_process& server_fixture::start_server(std::vector<std::string> extra) {
  std::vector<std::string> args{"--chat.port=0", "--chat.web-root=" + web_root()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto& proc = launch(std::move(args));
  bool listening = proc.wait_listening(start_timeout);
  if (!listening)
    ITEST_FAIL("no 'INFO listening url=' line from: " << proc.command_line());
  return proc;
}

server_process& server_fixture::server() {
  CAF_REQUIRE(!servers_.empty());
  return *servers_.back();
}

ws_client server_fixture::connect_client(const ws_options& opts, boost::json::object* welcome) {
  ws_client client;
  bool connected = client.connect(port(), opts);
  if (!connected)
    CAF_MESSAGE("connect failed: " << client.last_error());
  CAF_REQUIRE(connected);
  auto first = client.read_object(io_timeout);
  if (!first)
    CAF_MESSAGE("no welcome: " << client.last_error());
  CAF_REQUIRE(first.has_value());
  CAF_REQUIRE_EQUAL(type_of(*first), "welcome");
  if (welcome != nullptr)
    *welcome = std::move(*first);
  return client;
}

ws_client server_fixture::connect_client(std::string& nick, const ws_options& opts) {
  boost::json::object welcome;
  auto client = connect_client(opts, &welcome);
  nick = get_string(welcome, "nick");
  CAF_REQUIRE(!nick.empty());
  return client;
}

std::vector<std::string> config_errors_naming(const std::string& text, const std::string& key) {
  static constexpr std::string_view prefix = "actorchat: config error:";
  std::vector<std::string> result;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0 && line.find(key) != std::string::npos)
      result.push_back(line);
  return result;
}

// -- protocol v1 suites --------------------------------------------------------------------------

void run_guarded(const std::function<void()>& body) {
  try {
    body();
  } catch (const test_aborted&) {
    CAF_MESSAGE("test ended by a failed requirement (see above)");
  } catch (const std::exception& ex) {
    CAF_ERROR("test ended by an exception: " << ex.what());
  } catch (...) {
    CAF_ERROR("test ended by an unknown exception");
  }
}

void pass_check(const char* file, size_t line, const std::string& what) {
  ::caf::test::detail::check(::caf::test::engine::current_test(), file, line, what.c_str(),
                             false, true);
  ::caf::test::engine::last_check_file(file);
  ::caf::test::engine::last_check_line(line);
}

void fail_test(const char* file, size_t line, const std::string& what) {
  ::caf::test::detail::check(::caf::test::engine::current_test(), file, line, what.c_str(),
                             false, false);
  ::caf::test::engine::last_check_file(file);
  ::caf::test::engine::last_check_line(line);
  throw test_aborted{};
}

namespace {

bool integral(const boost::json::value& v) { return v.is_int64() || v.is_uint64(); }

} // namespace

bool has_id(const boost::json::object& obj, const json_id& id) {
  auto it = obj.find("id");
  if (it == obj.end())
    return false;
  const auto& v = it->value();
  if (v.is_string() && id.is_string())
    return v.get_string() == id.get_string();
  if (integral(v) && integral(id)) {
    if (v.is_uint64() && v.get_uint64() > static_cast<uint64_t>(INT64_MAX))
      return id.is_uint64() && id.get_uint64() == v.get_uint64();
    if (id.is_uint64() && id.get_uint64() > static_cast<uint64_t>(INT64_MAX))
      return false;
    auto a = v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_uint64());
    auto b = id.is_int64() ? id.get_int64() : static_cast<int64_t>(id.get_uint64());
    return a == b;
  }
  return false;
}

std::string brief(const boost::json::object& obj, size_t max) {
  auto text = boost::json::serialize(obj);
  if (text.size() > max)
    text = text.substr(0, max) + "...";
  return text;
}

void chat_peer::send(const boost::json::object& cmd) { send_raw(boost::json::serialize(cmd)); }

void chat_peer::send_raw(std::string_view text) {
  if (!ws.send(text))
    ITEST_FAIL(label << ": send of " << std::string{text.substr(0, 200)}
                     << " failed: " << ws.last_error());
}

std::optional<boost::json::object> chat_peer::read_one(milliseconds timeout) {
  return ws.read_object(timeout);
}

std::optional<boost::json::object> chat_peer::try_await(const predicate& pred,
                                                        milliseconds timeout) {
  for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
    if (pred(*it)) {
      auto obj = std::move(*it);
      backlog_.erase(it);
      return obj;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline
                                                         - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto obj = read_one(left);
    if (!obj)
      return std::nullopt;
    if (pred(*obj))
      return obj;
    backlog_.push_back(std::move(*obj));
  }
}

std::string chat_peer::backlog_summary() const {
  std::ostringstream out;
  out << backlog_.size() << " unclaimed object(s)";
  size_t shown = 0;
  // The newest ones say most about where the server is.
  size_t first = backlog_.size() > 12 ? backlog_.size() - 12 : 0;
  if (first > 0)
    out << " (the last 12)";
  for (size_t i = first; i < backlog_.size(); ++i, ++shown)
    out << "\n      " << brief(backlog_[i], 200);
  return out.str();
}

boost::json::object chat_peer::await(const predicate& pred, const std::string& what,
                                     milliseconds timeout) {
  auto obj = try_await(pred, timeout);
  if (!obj)
    ITEST_FAIL(label << " (" << nick << "): no " << what << " within " << timeout.count()
                     << " ms (" << ws.last_error() << "); " << backlog_summary());
  return std::move(*obj);
}

boost::json::object chat_peer::reply(const json_id& id, milliseconds timeout) {
  return await([&](const boost::json::object& obj) { return has_id(obj, id); },
               "reply with id " + boost::json::serialize(id), timeout);
}

boost::json::object chat_peer::expect_reply(const std::string& type, const json_id& id,
                                             milliseconds timeout) {
  auto obj = reply(id, timeout);
  if (type_of(obj) != type)
    ITEST_FAIL(label << ": expected a '" << type << "' reply to id " << boost::json::serialize(id)
                     << ", got " << brief(obj));
  ITEST_PASS(label << " got '" << type << "' for id " << boost::json::serialize(id));
  return obj;
}

boost::json::object chat_peer::expect_error(const std::string& code, const json_id& id,
                                            milliseconds timeout) {
  auto obj = reply(id, timeout);
  if (type_of(obj) != "error" || get_string(obj, "code") != code)
    ITEST_FAIL(label << ": expected error '" << code << "' for id " << boost::json::serialize(id)
                     << ", got " << brief(obj));
  ITEST_PASS(label << " got error '" << code << "' for id " << boost::json::serialize(id)
                         << ": " << get_string(obj, "message"));
  return obj;
}

boost::json::object chat_peer::expect_error_without_id(const std::string& code,
                                                       milliseconds timeout) {
  auto obj = await(
    [](const boost::json::object& o) { return type_of(o) == "error" && !o.contains("id"); },
    "error without id (expecting '" + code + "')", timeout);
  if (get_string(obj, "code") != code)
    ITEST_FAIL(label << ": expected error '" << code << "', got " << brief(obj));
  ITEST_PASS(label << " got error '" << code << "': " << get_string(obj, "message"));
  return obj;
}

boost::json::object chat_peer::expect(const std::string& type, const std::string& room,
                                      milliseconds timeout) {
  return await(
    [&](const boost::json::object& obj) {
      return type_of(obj) == type && (room.empty() || get_string(obj, "room") == room);
    },
    "'" + type + "'" + (room.empty() ? std::string{} : " of room '" + room + "'"), timeout);
}

boost::json::object chat_peer::expect_message(const std::string& room, int64_t seq,
                                              const std::string& text, milliseconds timeout) {
  auto msg = expect("message", room, timeout);
  auto got = get_int(msg, "seq").value_or(-1);
  if (got != seq || (!text.empty() && get_string(msg, "text") != text))
    ITEST_FAIL(label << ": expected message seq " << seq
                     << (text.empty() ? std::string{} : " '" + text + "'") << " in " << room
                     << ", got " << brief(msg));
  ITEST_PASS(label << " got " << room << " #" << seq);
  return msg;
}

boost::json::object chat_peer::expect_presence(const std::string& room, const std::string& event,
                                               const std::string& who, int64_t count,
                                               milliseconds timeout) {
  auto obj = await(
    [&](const boost::json::object& o) {
      return type_of(o) == "presence" && get_string(o, "room") == room
             && get_string(o, "event") == event && get_string(o, "nick") == who;
    },
    "presence " + event + " of '" + who + "' in '" + room + "'", timeout);
  auto got = get_int(obj, "count").value_or(-1);
  if (got != count)
    ITEST_FAIL(label << ": presence " << event << " of " << who << " in " << room
                     << ": expected count " << count << ", got " << brief(obj));
  ITEST_PASS(label << " saw " << who << " " << event << " " << room << " (" << count
                         << ")");
  return obj;
}

void chat_peer::settle(milliseconds quiet) {
  while (auto obj = read_one(quiet))
    backlog_.push_back(std::move(*obj));
}

void chat_peer::sync(milliseconds quiet) {
  auto id = "sync-" + label + "-" + std::to_string(++sync_counter_);
  send(boost::json::object{{"type", "rooms"}, {"id", id}});
  expect_reply("rooms", json_id(id));
  settle(quiet);
}

std::vector<boost::json::object> chat_peer::take(const predicate& pred) {
  std::vector<boost::json::object> result;
  for (auto it = backlog_.begin(); it != backlog_.end();) {
    if (pred(*it)) {
      result.push_back(std::move(*it));
      it = backlog_.erase(it);
    } else {
      ++it;
    }
  }
  return result;
}

void chat_peer::require_nothing_before(const std::string& room,
                                       const boost::json::object& reply) {
  // The backlog holds what arrived before `reply`: no message of `room` may be among it, since
  // joined/resumed come first and the messages after them.
  auto early = take([&](const boost::json::object& obj) {
    return type_of(obj) == "message" && get_string(obj, "room") == room;
  });
  if (!early.empty())
    ITEST_FAIL(label << ": " << early.size() << " message(s) of '" << room << "' arrived before "
                     << brief(reply) << ", the first: " << brief(early.front()));
}

boost::json::object chat_peer::join(const std::string& room, const json_id& id) {
  send(boost::json::object{{"type", "join"}, {"room", room}, {"id", id}});
  auto obj = expect_reply("joined", id);
  if (get_string(obj, "room") != room)
    ITEST_FAIL(label << ": 'joined' names the wrong room: " << brief(obj));
  require_nothing_before(room, obj);
  return obj;
}

boost::json::object chat_peer::leave(const std::string& room, const json_id& id) {
  send(boost::json::object{{"type", "leave"}, {"room", room}, {"id", id}});
  auto obj = expect_reply("left", id);
  if (get_string(obj, "room") != room)
    ITEST_FAIL(label << ": 'left' names the wrong room: " << brief(obj));
  return obj;
}

boost::json::object chat_peer::say(const std::string& room, const std::string& text,
                                   const json_id& id) {
  send(boost::json::object{{"type", "say"}, {"room", room}, {"text", text}, {"id", id}});
  auto obj = expect_reply("sent", id);
  if (get_string(obj, "room") != room || !get_int(obj, "seq"))
    ITEST_FAIL(label << ": 'sent' lacks the room or seq: " << brief(obj));
  return obj;
}

std::vector<int64_t> chat_peer::say_many(const std::string& room, const std::string& prefix,
                                         int64_t first, int64_t count) {
  for (auto i = first; i < first + count; ++i) {
    auto text = prefix + std::to_string(i);
    send(boost::json::object{{"type", "say"}, {"room", room}, {"text", text}, {"id", text}});
  }
  std::vector<int64_t> seqs;
  for (auto i = first; i < first + count; ++i) {
    auto text = prefix + std::to_string(i);
    auto obj = expect_reply("sent", boost::json::value(text));
    seqs.push_back(get_int(obj, "seq").value_or(-1));
  }
  return seqs;
}

boost::json::object chat_peer::rename(const std::string& new_nick, const json_id& id) {
  send(boost::json::object{{"type", "nick"}, {"nick", new_nick}, {"id", id}});
  auto obj = expect_reply("nick", id);
  if (get_string(obj, "nick") != new_nick)
    ITEST_FAIL(label << ": 'nick' reply names another nick: " << brief(obj));
  nick = new_nick;
  return obj;
}

std::vector<std::string> chat_peer::who(const std::string& room, const json_id& id) {
  send(boost::json::object{{"type", "who"}, {"room", room}, {"id", id}});
  auto obj = expect_reply("who", id);
  CAF_CHECK_EQUAL(get_string(obj, "room"), room);
  auto it = obj.find("members");
  if (it == obj.end() || !it->value().is_array())
    ITEST_FAIL(label << ": 'who' without a members array: " << brief(obj));
  return string_list(&it->value());
}

std::vector<std::pair<std::string, int64_t>> chat_peer::rooms(const json_id& id) {
  send(boost::json::object{{"type", "rooms"}, {"id", id}});
  auto obj = expect_reply("rooms", id);
  auto it = obj.find("rooms");
  if (it == obj.end() || !it->value().is_array())
    ITEST_FAIL(label << ": 'rooms' without a rooms array: " << brief(obj));
  std::vector<std::pair<std::string, int64_t>> result;
  for (const auto& entry : it->value().get_array()) {
    if (!entry.is_object())
      ITEST_FAIL(label << ": a 'rooms' entry is not an object: " << brief(obj));
    const auto& e = entry.get_object();
    result.emplace_back(get_string(e, "room"), get_int(e, "members").value_or(-1));
  }
  return result;
}

boost::json::object chat_peer::history(const std::string& room, int64_t before, int64_t limit,
                                       const json_id& id) {
  boost::json::object cmd{{"type", "history"}, {"room", room}, {"id", id}};
  if (before >= 0)
    cmd["before"] = before;
  if (limit >= 0)
    cmd["limit"] = limit;
  send(cmd);
  auto obj = expect_reply("history", id);
  auto it = obj.find("messages");
  if (get_string(obj, "room") != room || it == obj.end() || !it->value().is_array()
      || !get_bool(obj, "complete"))
    ITEST_FAIL(label << ": malformed 'history' reply: " << brief(obj));
  return obj;
}

boost::json::object chat_peer::resume(const std::string& room, int64_t after, const json_id& id) {
  send(boost::json::object{{"type", "resume"}, {"room", room}, {"after", after}, {"id", id}});
  auto obj = expect_reply("resumed", id);
  if (get_string(obj, "room") != room)
    ITEST_FAIL(label << ": 'resumed' names the wrong room: " << brief(obj));
  require_nothing_before(room, obj);
  return obj;
}

chat_peer connect_peer(uint16_t port, const std::string& label, const std::string& target) {
  chat_peer peer;
  peer.label = label;
  ws_options opts;
  opts.target = target;
  if (!peer.ws.connect(port, opts))
    ITEST_FAIL(label << ": connect to " << target << " failed: " << peer.ws.last_error());
  auto first = peer.ws.read_object(io_timeout);
  if (!first)
    ITEST_FAIL(label << ": no welcome: " << peer.ws.last_error());
  if (type_of(*first) != "welcome")
    ITEST_FAIL(label << ": the first object is not a welcome: " << brief(*first));
  peer.welcome = std::move(*first);
  peer.nick = get_string(peer.welcome, "nick");
  if (peer.nick.empty())
    ITEST_FAIL(label << ": welcome without a nick: " << brief(peer.welcome));
  return peer;
}

std::vector<boost::json::object> history_messages(const boost::json::object& reply) {
  std::vector<boost::json::object> result;
  auto it = reply.find("messages");
  if (it == reply.end() || !it->value().is_array())
    return result;
  for (const auto& v : it->value().get_array())
    result.push_back(v.is_object() ? v.get_object() : boost::json::object{});
  return result;
}

std::vector<int64_t> seqs_of(const std::vector<boost::json::object>& messages) {
  std::vector<int64_t> result;
  for (const auto& msg : messages)
    result.push_back(get_int(msg, "seq").value_or(-1));
  return result;
}

std::vector<int64_t> seq_range(int64_t first, int64_t last) {
  std::vector<int64_t> result;
  for (auto i = first; i <= last; ++i)
    result.push_back(i);
  return result;
}

std::vector<std::string> string_list(const boost::json::value* v) {
  std::vector<std::string> result;
  if (v == nullptr || !v->is_array())
    return result;
  for (const auto& item : v->get_array())
    result.push_back(item.is_string() ? std::string{item.get_string()} : "<non-string>");
  return result;
}

std::optional<bool> get_bool(const boost::json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_bool())
    return std::nullopt;
  return it->value().get_bool();
}

void require_still_serving(uint16_t port) {
  auto peer = connect_peer(port, "after");
  peer.expect("joined", "lobby");
  auto sent = peer.say("lobby", "still here", json_id("still-serving"));
  CAF_CHECK(get_int(sent, "seq").has_value());
}

} // namespace actorchat::itest
