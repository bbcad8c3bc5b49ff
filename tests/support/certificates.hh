#pragma once

// Certificates for TLS tests, made at test time with the `openssl`
// command-line tool (Debian package `openssl`), and configurations that use
// them (spec: upstream-broker.md §6).

#include "broker/configuration.hh"

#include <string>

namespace broker::test {

/// A certificate file and the file of its private key (PEM).
struct key_pair {
  std::string certificate;
  std::string key;
};

/// A fresh temporary directory holding test certificates; removed with
/// everything in it by the destructor. Keys are EC P-256 (quick to make),
/// certificates are valid for two days and carry no host names (Broker
/// checks none).
///
/// Every member blocks while `openssl` runs (tens of milliseconds).
/// @throws std::runtime_error when the directory cannot be made or an
///         `openssl` command fails (with its output).
class certificate_dir {
public:
  certificate_dir();

  certificate_dir(const certificate_dir&) = delete;

  certificate_dir& operator=(const certificate_dir&) = delete;

  ~certificate_dir();

  /// Makes a certificate authority called `name` and returns its
  /// certificate file (a CA file for `broker.ssl.cafile`).
  std::string make_ca(const std::string& name);

  /// Makes a certificate for `name` signed by the CA `ca` (made by
  /// `make_ca`). A non-empty `passphrase` encrypts the key file (AES-256).
  key_pair issue(const std::string& name, const std::string& ca,
                 const std::string& passphrase = "");

  /// Makes a self-signed certificate for `name` (it is its own CA file).
  key_pair self_signed(const std::string& name);

  /// Returns the path of `file` inside the directory (whether it exists or
  /// not).
  [[nodiscard]] std::string path(const std::string& file) const;

private:
  /// Runs `openssl` with `args` (shell words) in the directory.
  void openssl(const std::string& args);

  std::string dir_;
  /// Serial number of the next issued certificate.
  int next_serial_ = 2;
};

/// Returns `test_config()` with TLS switched on (`broker.disable-ssl`
/// false) and no certificates: anonymous TLS.
configuration tls_config();

/// Returns `tls_config()` authenticating with `own` and trusting `cafile`
/// (empty: no CA file), with `passphrase` for an encrypted key.
configuration tls_config(const key_pair& own, const std::string& cafile,
                         const std::string& passphrase = "");

} // namespace broker::test
