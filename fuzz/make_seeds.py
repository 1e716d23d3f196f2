#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed; run again after editing here).

Seeds are small valid and invalid inputs that lead the fuzzers into every part of the input
format quickly: commands of docs/PROTOCOL.md, config snippets in the style of
config/caf-application.conf, WebSocket frames as a client sends them, HTTP requests.
Deterministic: the same files every time.
"""

import pathlib
import shutil
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"

# -- command_fuzz: one inbound text frame each ------------------------------------------------

COMMANDS = {
    "plain": "hello, dev",
    "plain_space_brace": "  not {json}",
    "say": '{"type":"say","room":"dev","text":"hi there","id":"s1"}',
    "say_escapes": '{"type":"say","room":"lobby","text":"tab\\t\\u00e9\\ud83d\\ude00\\u0001"}',
    "say_action": '{"type":"say","room":"dev","text":"waves","action":true,"id":"a1"}',
    "say_bad_action": '{"type":"say","room":"dev","text":"hi","action":"yes"}',
    "join": '{"type":"join","room":"dev","id":7}',
    "leave": '{"id":-3,"type":"leave","room":"dev"}',
    "nick": '{"type":"nick","nick":"Ana \u2713"}',
    "who": '{"type":"who","room":"a.b-c_d"}',
    "history": '{"type":"history","room":"dev","before":42,"limit":500}',
    "resume": '{"type":"resume","room":"dev","after":18446744073709551615}',
    "rooms": ' \r\n\t{"type":"rooms","extra":{"nested":[1,2,{"x":null}]}}',
    "bad_json": '{"type":"say","room":"dev","text":"unterminated',
    "unknown_type": '{"type":"shout","room":"dev"}',
    "bad_room": '{"type":"join","room":"Dev"}',
    "reserved_nick": '{"type":"nick","nick":"GUEST-1"}',
    "limit_zero": '{"type":"history","room":"dev","limit":0}',
    "bad_numbers": '{"type":"resume","room":"dev","after":1.5e3,"id":[1]}',
    "deep": '{"type":"rooms","x":' + "[" * 20 + "]" * 20 + "}",
}

# -- config_fuzz: the text of a caf-application.conf ----------------------------------------

CONFIGS = {
    "default_like": """; actorchat configuration (a commented part of config/caf-application.conf)
[chat]
; Listen address and port.
host = "127.0.0.1"
port = 8080
web-root = "web"
history-size = 100
max-message-size = 4096
room-idle-timeout = 60s
store-path = ":memory:"
store-sync = "normal"
log-level = "info"
ping-interval = 30s
pong-timeout = 10s
""",
    "lists_and_sections": """[chat]
allowed-origins = ["https://chat.example.com", "http://localhost:8080"]
require-origin = true
write-timeout = 250ms
shutdown-timeout = 2min

[scheduler]
max-threads = 2
""",
    "unknown_key": "[chat]\nport = 9000\ncolour = \"blue\"\n",
    "wrong_types": "[chat]\nport = \"eighty\"\nhost = 127.0.0.1\nio-threads = -1\n",
    "duration_without_unit": "[chat]\nping-interval = 30\n",
    "crlf": "[chat]\r\nport = 8080\r\n",
    "hash_comment": "# not a comment in CAF's INI\n[chat]\nport = 1\n",
    "value_not_section": "port = 8080\n[chat]\n",
    "unterminated": "[chat\nhost = \"open\n",
    "empty": "",
}

# -- ws_frames_fuzz: the bytes a client sends after the upgrade ---------------------------------


def frame(opcode, payload, fin=True, mask=b"\x00\x00\x00\x00", rsv=0):
    """One client frame (always masked, as RFC 6455 requires of clients)."""
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
KEY = b"\x37\xfa\x21\x3d"

FRAMES = {
    # A zero mask key leaves the payload readable: easier for the fuzzer to mutate.
    "text_zero_mask": frame(TEXT, b"hello, dev"),
    "text_masked": frame(TEXT, b'{"type":"say","room":"dev","text":"hi"}', mask=KEY),
    "ping_pong": frame(PING, b"are you there") + frame(PONG, b"") + frame(TEXT, b"x"),
    "close_1000": frame(CLOSE, struct.pack("!H", 1000) + b"bye", mask=KEY),
    "fragmented": frame(TEXT, b"hel", fin=False) + frame(PING, b"p")
                  + frame(CONT, b"lo\xc3", fin=False) + frame(CONT, b"\xa9"),
    "binary": frame(BINARY, b"\x00\x01\x02\xff", mask=KEY) + frame(TEXT, b"after"),
    # Beast 1.81 deadlocks on this when the server keeps reading after its async_close (see
    # fuzz/ws_frames_fuzz.cpp): a binary message and the close frame arrive together.
    "binary_then_close": frame(BINARY, b"ab") + frame(CLOSE, struct.pack("!H", 1000)),
    "invalid_utf8": frame(TEXT, b"ok \xed\xa0\x80 surrogate"),
    "split_utf8": frame(TEXT, b"\xf0\x9f", fin=False) + frame(CONT, b"\x98\x80"),
    "len16": frame(TEXT, b"a" * 300, mask=KEY),
    # Beast 1.81 reads this as a text message although it ends in an incomplete UTF-8 sequence
    # (the empty final frame skips the check; see fuzz/ws_frames_fuzz.cpp).
    "utf8_truncated": frame(TEXT, b"hello\xc3", fin=False) + frame(CONT, b""),
    # ... and its checker keeps the incomplete sequence into the next message, which it then reads
    # although it is one lone continuation byte (found by the fuzzer on 2026-12-04); the server
    # closes with 1007 at the first message.
    "utf8_state_carried": frame(TEXT, b"hello\xc3", fin=False) + frame(CONT, b"")
                          + frame(TEXT, b"\x80"),
    "long_text_fragments": frame(TEXT, b"A" * 300, fin=False) + frame(PING, b"mid")
                           + frame(CONT, b"B" * 300, fin=False) + frame(CONT, b"C" * 300),
    "unmasked": bytes([0x81, 0x02]) + b"hi",
    "rsv_bits": frame(TEXT, b"compressed?", rsv=4),
    "close_bad_code": frame(CLOSE, struct.pack("!H", 1005)),
    "big_ping": frame(PING, b"p" * 126),
}

# -- http_request_fuzz: what a client sends on a fresh connection -----------------------------

UPGRADE = (
    "GET {target} HTTP/{version}\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: {wsversion}\r\n"
    "{extra}"
    "\r\n"
)


def upgrade(target="/ws", version="1.1", wsversion="13", extra=""):
    return UPGRADE.format(target=target, version=version, wsversion=wsversion,
                          extra=extra).encode()


REQUESTS = {
    "get_root": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "get_ws_plain": b"GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    "upgrade": upgrade(),
    "upgrade_autojoin_origin": upgrade("/ws?autojoin=false&x=1",
                                       extra="Origin: http://127.0.0.1:8080\r\n"),
    "upgrade_foreign_origin": upgrade(extra="Origin: https://evil.example\r\n"),
    "upgrade_http10": upgrade(version="1.0"),
    "upgrade_bad_wsversion": upgrade(wsversion="8"),
    "upgrade_bad_autojoin": upgrade("/ws?autojoin=yes"),
    "upgrade_other_path": upgrade("/chat"),
    "post_body": b"POST /ws HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    "chunked": b"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"4\r\nwiki\r\n0\r\nTrailer: x\r\n\r\n",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                 b"HEAD /b HTTP/1.1\r\nHost: a\r\n\r\n" + upgrade(),
    "bad_version": b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "garbage": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS ClientHello start
}


def write(target, seeds):
    out = CORPUS / target
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, data in seeds.items():
        (out / name).write_bytes(data.encode() if isinstance(data, str) else data)


def main():
    write("command_fuzz", COMMANDS)
    write("config_fuzz", CONFIGS)
    write("ws_frames_fuzz", FRAMES)
    write("http_request_fuzz", REQUESTS)


if __name__ == "__main__":
    main()
