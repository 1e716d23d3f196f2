// tls: the server's TLS context, built from chat.tls-cert and chat.tls-key.
#pragma once

#include "config/chat_config.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace actorchat::netio {

/// A TLS 1.2+ server context with the configured certificate chain and key, or null with `error`
/// set to a message that names the offending key.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const chat_config& cfg,
                                                            std::string& error);

} // namespace actorchat::netio
