#pragma once

// The TLS side of the transport (spec: upstream-broker.md §6). Asio-free:
// core/ and the facade hold a `tls_context` through this header; only
// net/*.cc see the OpenSSL context behind it (net/tls_impl.hh), which the
// TLS module makes (net/tls_module.hh).

#include <chrono>
#include <memory>
#include <string>

namespace broker::net {

/// Default bound of a TLS handshake (upstream has none; ours follows
/// `broker.handshake-timeout`, whose default this is).
inline constexpr std::chrono::milliseconds default_tls_handshake_timeout{10000};

/// The `broker.ssl.*` settings a TLS context is made from. Empty strings
/// mean "not set".
struct tls_options {
  /// `broker.ssl.certificate`: PEM file with our certificate (chain).
  std::string certificate;

  /// `broker.ssl.key`: PEM file with our private key.
  std::string key;

  /// `broker.ssl.passphrase`: decrypts an encrypted `key`.
  std::string passphrase;

  /// `broker.ssl.cafile`: PEM file with the CA certificates we trust.
  std::string cafile;

  /// `broker.ssl.capath`: directory of hashed CA certificates we trust.
  std::string capath;

  /// Returns whether any setting is present: then peers authenticate each
  /// other (mutual TLS) and `certificate` and `key` are mandatory (spec §6).
  [[nodiscard]] bool authentication_enabled() const noexcept;
};

/// The TLS configuration shared by every connection of one endpoint (both
/// the client and the server side), in one of two modes (spec §6):
/// - anonymous (no `tls_options` set): TLS 1.2 only, anonymous ECDH
///   (`AECDH-AES256-SHA` at security level 0, group P-384), no peer
///   verification; encrypted but unauthenticated, as upstream's default;
/// - authenticated: TLS >= 1.2, our certificate and key, peers must present
///   a certificate signed by a trusted CA (both directions), cipher list
///   `HIGH:!aNULL:!MD5`, no host name check.
///
/// Thread safety: immutable after `make`; streams on any thread may use one
/// context at the same time.
class tls_context {
public:
  /// Opaque implementation (holds the Asio/OpenSSL context); see
  /// net/tls_impl.hh.
  struct impl;

  /// Builds a context from `opts`, loading every file at once; the first
  /// call loads the TLS module, libbroker-tls.so, and with it OpenSSL
  /// (net/tls_loader.hh). Blocks while loading and reading the files.
  /// @returns the context, or `nullptr` with `what` saying why: the module
  ///          did not load ("cannot load the TLS module: ..."), or naming
  ///          the setting that failed, its value and OpenSSL's reason (e.g.
  ///          "broker.ssl.key '/x/key.pem': cannot load private key with
  ///          broker.ssl.passphrase: bad decrypt (Provider routines); ..."),
  ///          also when authentication is enabled but `certificate` or `key`
  ///          is missing ("broker.ssl.key: not set, but ...").
  [[nodiscard]] static std::shared_ptr<tls_context>
  make(const tls_options& opts, std::string& what);

  explicit tls_context(std::unique_ptr<impl> ptr);

  tls_context(const tls_context&) = delete;

  tls_context& operator=(const tls_context&) = delete;

  ~tls_context();

  /// Returns whether peers authenticate with certificates (mutual TLS) as
  /// opposed to anonymous TLS.
  [[nodiscard]] bool authenticated() const noexcept;

  /// Returns the implementation (for net/*.cc only).
  [[nodiscard]] impl& native() noexcept { return *impl_; }

private:
  std::unique_ptr<impl> impl_;
};

} // namespace broker::net
