#include "net/tls.hpp"

namespace actorchat::netio {

namespace ssl = boost::asio::ssl;

std::unique_ptr<ssl::context> make_tls_context(const chat_config& cfg, std::string& error) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                   | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1
                   | ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cfg.tls_cert, ec);
  if (ec) {
    error = "chat.tls-cert: cannot use '" + cfg.tls_cert + "' as a PEM certificate chain: "
            + ec.message();
    return nullptr;
  }
  ctx->use_private_key_file(cfg.tls_key, ssl::context::pem, ec);
  if (ec) {
    error = "chat.tls-key: cannot use '" + cfg.tls_key + "' as a PEM private key: " + ec.message();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    error = "chat.tls-key: '" + cfg.tls_key + "' does not match the certificate in chat.tls-cert";
    return nullptr;
  }
  return ctx;
}

} // namespace actorchat::netio
