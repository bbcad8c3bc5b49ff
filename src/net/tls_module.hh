#pragma once

// Internal to net/: the entry points of libbroker-tls.so, the module that
// holds every call into OpenSSL. libbroker.so does not link OpenSSL: it
// loads the module (and with it libssl and libcrypto) when the first
// endpoint with TLS is made, so that a plaintext host never maps them
// (about 1.7 MB of resident pages, measured with broker-bench's peering
// figure).
//
// libbroker.so keeps Asio's TLS stream (`ssl::stream`, its composed
// operations, our socket_stream and WebSocket code over it); those call
// OpenSSL only through Asio's `ssl::detail::engine`. libbroker.so defines
// the engine's members as calls through this table (net/tls.cc), and the
// module fills the table with Asio's own engine (net/tls_module.cc). Both
// sides compile the same Boost headers: `abi` guards against mixing builds.

#include "net/tls.hh"
#include "net/tls_loader.hh"

#include <boost/system/error_code.hpp>

#include <boost/asio/ssl/detail/engine.hpp>
#include <boost/version.hpp>

#include <string>

namespace broker::net {

/// What both sides must agree on: the table's version, the Boost release
/// whose engine layout they compile, and that layout's size.
#define BROKER_TLS_MODULE_ABI                                                  \
  ("tls_module v1, Boost " BOOST_LIB_VERSION ", engine of " +                  \
   std::to_string(sizeof(boost::asio::ssl::detail::engine)) + " bytes")

/// The module's functions. Each `engine_*` entry is the engine member of
/// the same name, called on `self`.
struct tls_module {
  using engine = boost::asio::ssl::detail::engine;
  using error_code = boost::system::error_code;

  /// BROKER_TLS_MODULE_ABI as the module was built.
  std::string (*abi)();

  /// `tls_context::make`.
  std::shared_ptr<tls_context> (*make_context)(const tls_options& opts,
                                               std::string& what);

  /// Constructs an engine in `self` (raw storage) for `ctx`.
  void (*engine_construct)(engine* self, SSL_CTX* ctx);

  /// Move-constructs an engine in `self` (raw storage) from `other`.
  void (*engine_move)(engine* self, engine* other);

  /// Destroys the engine in `self`.
  void (*engine_destroy)(engine* self);

  engine::want (*engine_handshake)(
      engine* self, boost::asio::ssl::stream_base::handshake_type,
      error_code& ec);

  engine::want (*engine_shutdown)(engine* self, error_code& ec);

  engine::want (*engine_write)(engine* self,
                               const boost::asio::const_buffer& data,
                               error_code& ec, size_t& bytes_transferred);

  engine::want (*engine_read)(engine* self,
                              const boost::asio::mutable_buffer& data,
                              error_code& ec, size_t& bytes_transferred);

  boost::asio::mutable_buffer (*engine_get_output)(
      engine* self, const boost::asio::mutable_buffer& data);

  boost::asio::const_buffer (*engine_put_input)(
      engine* self, const boost::asio::const_buffer& data);

  const error_code& (*engine_map_error_code)(const engine* self,
                                             error_code& ec);
};

} // namespace broker::net
