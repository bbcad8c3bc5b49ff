#pragma once

// Internal to net/: the OpenSSL side of `tls_context`. Only net/*.cc include
// this (the layers above see the Asio-free net/tls.hh).

#include "net/tls.hh"

#include <boost/asio/ssl/context.hpp>

namespace broker::net {

struct tls_context::impl {
  /// `TLS_method()`; configured once by `tls_context::make`, then only
  /// read (OpenSSL allows creating connections from it on any thread).
  boost::asio::ssl::context ssl{boost::asio::ssl::context::tls};

  /// Whether peers authenticate with certificates.
  bool authenticated = false;
};

} // namespace broker::net
