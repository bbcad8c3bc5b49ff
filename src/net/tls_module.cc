// libbroker-tls.so: everything that calls OpenSSL (see net/tls_module.hh).
// Built with Asio header-only, so that the module holds its own copy of
// Asio's TLS engine and context code, and of nothing libbroker.so has.

#include "net/tls_module.hh"

#include "net/tls_impl.hh"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <vector>

namespace broker::net {

namespace {

namespace ssl = boost::asio::ssl;

// spec: upstream-broker.md §6. Without certificates: anonymous ECDH with
// AES-256-CBC and SHA-1, only offered at security level 0, over the P-384
// group; TLS 1.3 has no anonymous suites, so the version is pinned to 1.2.
constexpr const char* anonymous_ciphers = "AECDH-AES256-SHA@SECLEVEL=0";
constexpr const char* anonymous_groups = "P-384";

// spec §6: with certificates, strong suites with authentication.
constexpr const char* authenticated_ciphers = "HIGH:!aNULL:!MD5";

/// At most this many (distinct) OpenSSL errors go into a message: the
/// first is the root cause, later ones add context.
constexpr size_t max_reported_errors = 3;

/// Drains OpenSSL's error queue of this thread into one line, e.g. "No such
/// file or directory (system library, calling fopen(/x, r)); system lib (BIO
/// routines)".
std::string openssl_errors() {
  std::vector<std::string> found;
  const char* data = nullptr;
  int flags = 0;
  while (auto code =
             ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    std::string text;
    const char* lib = nullptr;
    if (ERR_SYSTEM_ERROR(code)) {
      text = std::strerror(static_cast<int>(ERR_GET_REASON(code)));
      lib = "system library";
    } else if (auto reason = ERR_reason_error_string(code)) {
      text = reason;
      lib = ERR_lib_error_string(code);
    } else {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof(buf));
      text = buf;
    }
    bool has_data = (flags & ERR_TXT_STRING) != 0 && data && *data;
    if (lib || has_data) {
      text += " (";
      if (lib)
        text += lib;
      if (lib && has_data)
        text += ", ";
      if (has_data)
        text += data;
      text += ')';
    }
    if (found.size() < max_reported_errors &&
        std::find(found.begin(), found.end(), text) == found.end())
      found.emplace_back(std::move(text));
  }
  if (found.empty())
    return "unknown OpenSSL error";
  std::string result = found.front();
  for (size_t i = 1; i < found.size(); ++i)
    result += "; " + found[i];
  return result;
}

/// Fails a step of `make`: names the setting, its value and the reason.
std::shared_ptr<tls_context> fail(std::string& what, const char* key,
                                  const std::string& value,
                                  const std::string& action) {
  what = std::string{key} + " '" + value + "': " + action + ": " +
         openssl_errors();
  return nullptr;
}

/// Applies the anonymous mode (no certificates) to `ctx`.
bool configure_anonymous(SSL_CTX* ctx) {
  return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
         SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) == 1 &&
         SSL_CTX_set_cipher_list(ctx, anonymous_ciphers) == 1 &&
         SSL_CTX_set1_groups_list(ctx, anonymous_groups) == 1;
}

} // namespace

bool tls_options::authentication_enabled() const noexcept {
  return !certificate.empty() || !key.empty() || !passphrase.empty() ||
         !cafile.empty() || !capath.empty();
}

tls_context::tls_context(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

tls_context::~tls_context() = default;

bool tls_context::authenticated() const noexcept {
  return impl_->authenticated;
}

namespace {

/// `tls_context::make` (spec: upstream-broker.md §6).
std::shared_ptr<tls_context> make_context(const tls_options& opts,
                                          std::string& what) {
  // OpenSSL >= 1.1 initialises itself on first use, so there is nothing for
  // `broker.skip-ssl-init` to skip.
  ERR_clear_error();
  std::unique_ptr<tls_context::impl> ptr;
  try {
    ptr = std::make_unique<tls_context::impl>();
  } catch (const std::exception& ex) {
    what = std::string{"cannot create an OpenSSL context: "} + ex.what();
    return nullptr;
  }
  auto* ctx = ptr->ssl.native_handle();
  if (!opts.authentication_enabled()) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    if (!configure_anonymous(ctx)) {
      what = "cannot configure anonymous TLS (" +
             std::string{anonymous_ciphers} + ", " + anonymous_groups +
             "): " + openssl_errors();
      return nullptr;
    }
    return std::make_shared<tls_context>(std::move(ptr));
  }
  // spec §1.1: authentication needs both a certificate and a key.
  const char* missing = opts.certificate.empty() ? "broker.ssl.certificate"
                        : opts.key.empty()       ? "broker.ssl.key"
                                                 : nullptr;
  if (missing) {
    what = std::string{missing} +
           ": not set, but TLS authentication is configured (one of "
           "broker.ssl.certificate, broker.ssl.key, broker.ssl.passphrase, "
           "broker.ssl.cafile, broker.ssl.capath is set; certificate and "
           "key are then required)";
    return nullptr;
  }
  ptr->authenticated = true;
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, authenticated_ciphers) != 1) {
    what = "cannot configure TLS (" + std::string{authenticated_ciphers} +
           "): " + openssl_errors();
    return nullptr;
  }
  // Always answer OpenSSL's passphrase question ourselves: its default asks
  // on the terminal, which would block the constructor. An empty answer
  // fails the load of an encrypted key, with OpenSSL's reason.
  boost::system::error_code err;
  ptr->ssl.set_password_callback(
      [passphrase = opts.passphrase](size_t, ssl::context::password_purpose) {
        return passphrase;
      },
      err);
  if (err) {
    what = "broker.ssl.passphrase: cannot install: " + err.message();
    return nullptr;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, opts.certificate.c_str()) != 1)
    return fail(what, "broker.ssl.certificate", opts.certificate,
                "cannot load certificate chain");
  if (SSL_CTX_use_PrivateKey_file(ctx, opts.key.c_str(), SSL_FILETYPE_PEM) !=
      1) {
    auto code = ERR_peek_last_error();
    bool mismatch = ERR_GET_LIB(code) == ERR_LIB_X509 &&
                    ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH;
    const char* action =
        mismatch ? "does not match broker.ssl.certificate"
        : opts.passphrase.empty()
            ? "cannot load private key"
            : "cannot load private key with broker.ssl.passphrase";
    return fail(what, "broker.ssl.key", opts.key, action);
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail(what, "broker.ssl.key", opts.key,
                "does not match broker.ssl.certificate");
  if (!opts.cafile.empty() &&
      SSL_CTX_load_verify_file(ctx, opts.cafile.c_str()) != 1)
    return fail(what, "broker.ssl.cafile", opts.cafile,
                "cannot load CA certificates");
  if (!opts.capath.empty() &&
      SSL_CTX_load_verify_dir(ctx, opts.capath.c_str()) != 1)
    return fail(what, "broker.ssl.capath", opts.capath,
                "cannot use CA directory");
  // spec §6: mutual TLS, both directions; no host name check.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  return std::make_shared<tls_context>(std::move(ptr));
}

using engine = tls_module::engine;
using error_code = tls_module::error_code;

const tls_module the_module{
    [] { return std::string{BROKER_TLS_MODULE_ABI}; },
    &make_context,
    [](engine* self, SSL_CTX* ctx) { new (self) engine(ctx); },
    [](engine* self, engine* other) { new (self) engine(std::move(*other)); },
    [](engine* self) { self->~engine(); },
    [](engine* self, boost::asio::ssl::stream_base::handshake_type type,
       error_code& ec) { return self->handshake(type, ec); },
    [](engine* self, error_code& ec) { return self->shutdown(ec); },
    [](engine* self, const boost::asio::const_buffer& data, error_code& ec,
       size_t& n) { return self->write(data, ec, n); },
    [](engine* self, const boost::asio::mutable_buffer& data, error_code& ec,
       size_t& n) { return self->read(data, ec, n); },
    [](engine* self, const boost::asio::mutable_buffer& data) {
      return self->get_output(data);
    },
    [](engine* self, const boost::asio::const_buffer& data) {
      return self->put_input(data);
    },
    [](const engine* self, error_code& ec) -> const error_code& {
      return self->map_error_code(ec);
    },
};

} // namespace

} // namespace broker::net

extern "C" const broker::net::tls_module* broker_tls_module() {
  return &broker::net::the_module;
}
