#define CAF_SUITE protocol
#include "actors/protocol.hpp"

#include "fakes.hpp"

#include <caf/test/unit_test.hpp>

using namespace actorchat;

CAF_TEST(a message carries every field and the text verbatim) {
  chat_message m{"lobby", 7, "guest-1", 1700000000123, "hi \"you\" <b>&amp;</b> é 🙂"};
  auto p = encode(m);
  auto obj = test::parse(p);
  CAF_CHECK_EQUAL(std::string{obj.at("type").as_string()}, "message");
  CAF_CHECK_EQUAL(std::string{obj.at("room").as_string()}, "lobby");
  CAF_CHECK_EQUAL(obj.at("seq").to_number<uint64_t>(), 7u);
  CAF_CHECK_EQUAL(std::string{obj.at("from").as_string()}, "guest-1");
  CAF_CHECK_EQUAL(obj.at("ts").to_number<int64_t>(), 1700000000123);
  CAF_CHECK_EQUAL(std::string{obj.at("text").as_string()}, m.text);
}

CAF_TEST(newlines in text never break the one object per line rule) {
  auto p = encode(chat_message{"lobby", 1, "a", 1, "line1\nline2\r\n\tend"});
  CAF_CHECK_EQUAL(p->find('\n'), std::string::npos);
  CAF_CHECK_EQUAL(test::field(p, "text"), "line1\nline2\r\n\tend");
}

CAF_TEST(welcome tells the nick the room and the limits) {
  server_info info{"1.2.3", "abc", 4096, 256, 100};
  auto obj = test::parse(encode_welcome(info, "guest-9", "lobby"));
  CAF_CHECK_EQUAL(std::string{obj.at("type").as_string()}, "welcome");
  CAF_CHECK_EQUAL(std::string{obj.at("nick").as_string()}, "guest-9");
  CAF_CHECK_EQUAL(std::string{obj.at("room").as_string()}, "lobby");
  CAF_CHECK_EQUAL(std::string{obj.at("version").as_string()}, "1.2.3");
  CAF_CHECK_EQUAL(std::string{obj.at("boot").as_string()}, "abc");
  auto& limits = obj.at("limits").as_object();
  CAF_CHECK_EQUAL(limits.at("max_message_size").to_number<size_t>(), 4096u);
  CAF_CHECK_EQUAL(limits.at("send_queue").to_number<size_t>(), 256u);
  CAF_CHECK_EQUAL(limits.at("history_size").to_number<size_t>(), 100u);
}
