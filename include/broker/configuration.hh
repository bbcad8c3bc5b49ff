#pragma once

#include "broker/overflow_policy.hh"
#include "broker/time.hh"

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace broker {

/// Tag for the constructor that skips reading the environment.
struct skip_init_t {};

/// Selects `configuration(skip_init_t)`: defaults only.
constexpr skip_init_t skip_init = skip_init_t{};

/// The options upstream Broker exposes as plain fields.
struct broker_options {
  /// Use plain TCP instead of TLS for peerings (`broker.disable-ssl`).
  bool disable_ssl = false;

  /// Do not initialise OpenSSL (Zeek sets this; `broker.skip-ssl-init`).
  bool skip_ssl_init = false;

  /// Send only locally originated messages to peers
  /// (`broker.disable-forwarding`).
  bool disable_forwarding = false;

  /// Use the wall clock (kept for API compatibility).
  bool use_real_time = true;

  /// Skip reading `broker.conf` (kept for API compatibility; this library
  /// reads no configuration file).
  bool ignore_broker_conf = false;

  /// TTL of locally published messages (`broker.ttl`).
  uint16_t ttl = 16;

  /// Messages buffered per peer (`broker.peer-buffer-size`).
  size_t peer_buffer_size = 2048;

  /// `broker.peer-overflow-policy`.
  overflow_policy peer_overflow_policy = overflow_policy::disconnect;

  /// Messages buffered per WebSocket client (`broker.web-socket-buffer-size`).
  size_t web_socket_buffer_size = 512;

  /// `broker.web-socket-overflow-policy`.
  overflow_policy web_socket_overflow_policy = overflow_policy::disconnect;
};

/// OpenSSL settings (`broker.ssl.*`).
struct openssl_options {
  /// Path of the PEM certificate chain file (`broker.ssl.certificate`).
  std::string certificate;
  /// Path of the PEM private key file (`broker.ssl.key`).
  std::string key;
  /// Passphrase of the private key (`broker.ssl.passphrase`).
  std::string passphrase;
  /// Directory of CA certificates (`broker.ssl.capath`).
  std::string capath;
  /// File of CA certificates (`broker.ssl.cafile`).
  std::string cafile;

  /// Returns whether any certificate-related option is set (mutual TLS).
  [[nodiscard]] bool authentication_enabled() const noexcept;
};

/// OpenSSL settings as `configuration::openssl_options()` returns them.
using openssl_options_ptr = std::shared_ptr<openssl_options>;

/// Configures an `endpoint`. Settings come from, in increasing precedence:
/// built-in defaults, `broker_options`, `BROKER_*` environment variables,
/// command-line arguments `--<key>=<value>`, and `set()` calls. Keys use
/// upstream's names (`broker.peer-buffer-size`, `caf.scheduler.max-threads`,
/// ...); README.md lists them all with their defaults.
///
/// Thread safety: not thread-safe; configure before creating the endpoint.
class configuration {
public:
  /// A setting's value.
  using value_type = std::variant<bool, int64_t, uint64_t, timespan,
                                  std::string, std::vector<std::string>>;

  /// Defaults plus environment variables.
  configuration();

  /// Defaults only.
  explicit configuration(skip_init_t);

  /// `opts` plus environment variables.
  explicit configuration(broker_options opts);

  /// Defaults, environment variables and `--<key>=<value>` arguments;
  /// arguments that are not settings end up in `remainder()`.
  configuration(int argc, char** argv);

  /// Copies all settings.
  configuration(const configuration&) = default;

  /// Moves all settings.
  configuration(configuration&&) noexcept = default;

  /// Replaces all settings with copies of the other's.
  configuration& operator=(const configuration&) = default;

  /// Replaces all settings with the other's (moved).
  configuration& operator=(configuration&&) noexcept = default;

  /// Destroys the configuration.
  ~configuration();

  /// Reads environment variables and command-line arguments (see the class
  /// comment). Called by the constructors except the `skip_init` one.
  /// The variables are `BROKER_CONSOLE_VERBOSITY`, `BROKER_FILE_VERBOSITY`,
  /// `BROKER_METRICS_PORT`, `BROKER_METRICS_ENDPOINT_NAME` and
  /// `BROKER_WEB_SOCKET_PORT` (empty ones are ignored). Of the arguments
  /// after `argv[0]`, those of the form `--<key>=<value>` are settings
  /// (`broker.` is prepended to keys without a `broker.` or `caf.` prefix);
  /// all others go to `remainder()`.
  void init(int argc, char** argv);

  /// Returns the options: those given to the constructor, updated by every
  /// setting of a key they mirror (environment, arguments, `set()`); values
  /// that do not parse leave the option unchanged.
  [[nodiscard]] const broker_options& options() const noexcept {
    return options_;
  }

  /// Command-line arguments that were not settings.
  [[nodiscard]] const std::vector<std::string>& remainder() const noexcept {
    return remainder_;
  }

  // -- OpenSSL ----------------------------------------------------------------

  /// Returns `broker.ssl.certificate` (empty if unset).
  [[nodiscard]] std::string openssl_certificate() const;
  /// Sets `broker.ssl.certificate`: the PEM certificate chain file.
  void openssl_certificate(std::string path);
  /// Returns `broker.ssl.key` (empty if unset).
  [[nodiscard]] std::string openssl_key() const;
  /// Sets `broker.ssl.key`: the PEM private key file.
  void openssl_key(std::string path);
  /// Returns `broker.ssl.passphrase` (empty if unset).
  [[nodiscard]] std::string openssl_passphrase() const;
  /// Sets `broker.ssl.passphrase`: the passphrase of the private key.
  void openssl_passphrase(std::string passphrase);
  /// Returns `broker.ssl.capath` (empty if unset).
  [[nodiscard]] std::string openssl_capath() const;
  /// Sets `broker.ssl.capath`: a directory of CA certificates.
  void openssl_capath(std::string path);
  /// Returns `broker.ssl.cafile` (empty if unset).
  [[nodiscard]] std::string openssl_cafile() const;
  /// Sets `broker.ssl.cafile`: a file of CA certificates.
  void openssl_cafile(std::string path);

  /// Returns the OpenSSL settings, or `nullptr` when `disable_ssl` is set.
  [[nodiscard]] openssl_options_ptr openssl_options() const;

  // -- generic settings -------------------------------------------------------

  /// Sets `key` to an integer or boolean value.
  template <class T>
  std::enable_if_t<std::is_integral_v<T>> set(std::string_view key, T val) {
    if constexpr (std::is_same_v<T, bool>)
      set_value(key, val);
    else if constexpr (std::is_signed_v<T>)
      set_value(key, static_cast<int64_t>(val));
    else
      set_value(key, static_cast<uint64_t>(val));
  }

  /// Sets `key` to a duration.
  void set(std::string_view key, timespan val) { set_value(key, val); }

  /// Sets `key` to a string (the `read_*` functions parse it as needed).
  void set(std::string_view key, std::string val) {
    set_value(key, std::move(val));
  }

  /// Sets `key` to a string. @pre `val != nullptr`
  void set(std::string_view key, const char* val) {
    set_value(key, std::string{val});
  }

  /// Sets `key` to a list of strings.
  void set(std::string_view key, std::vector<std::string> val) {
    set_value(key, std::move(val));
  }

  /// Reads an integer setting (strings are parsed), if set and in range.
  [[nodiscard]] std::optional<int64_t>
  read_i64(std::string_view key, int64_t min_val, int64_t max_val) const;

  /// Reads an unsigned setting (strings are parsed), if set and in range.
  /// A string's suffix from `/` on is ignored (`9999/tcp`).
  [[nodiscard]] std::optional<uint64_t> read_u64(std::string_view key,
                                                 uint64_t max_val) const;

  /// Reads a boolean setting (strings `true`/`false`, `1`/`0`, `yes`/`no`
  /// and `on`/`off` are parsed).
  [[nodiscard]] std::optional<bool> read_bool(std::string_view key) const;

  /// Reads a duration (strings like `1.5s`, `250ms` are parsed; bare numbers
  /// are seconds).
  [[nodiscard]] std::optional<timespan> read_ts(std::string_view key) const;

  /// Reads a string setting.
  /// Values of other types yield `std::nullopt`.
  [[nodiscard]] std::optional<std::string> read_str(std::string_view key) const;

  /// Reads a list setting (strings are split at commas, items trimmed of
  /// spaces, empty items dropped).
  [[nodiscard]] std::optional<std::vector<std::string>>
  read_str_vec(std::string_view key) const;

  /// All settings made so far (for diagnostics).
  [[nodiscard]] const std::map<std::string, value_type, std::less<>>&
  settings() const noexcept {
    return values_;
  }

private:
  /// Stores `val` and keeps `options_` in sync for the keys it mirrors.
  void set_value(std::string_view key, value_type val);

  broker_options options_;
  std::map<std::string, value_type, std::less<>> values_;
  std::vector<std::string> remainder_;
};

/// Reads a setting as `T` (integers, `bool`, `timespan`, `std::string` or
/// `std::vector<std::string>`).
/// @returns `std::nullopt` if `key` is unset, holds another type, does not
///          parse or is out of range for `T`.
template <class T>
auto get_as(const configuration& cfg, std::string_view key) {
  if constexpr (std::is_same_v<T, bool>) {
    return cfg.read_bool(key);
  } else if constexpr (std::is_integral_v<T>) {
    std::optional<T> res;
    using lim = std::numeric_limits<T>;
    if constexpr (std::is_signed_v<T>) {
      if (auto val = cfg.read_i64(key, lim::min(), lim::max()))
        res = static_cast<T>(*val);
    } else {
      if (auto val = cfg.read_u64(key, lim::max()))
        res = static_cast<T>(*val);
    }
    return res;
  } else if constexpr (std::is_same_v<T, timespan>) {
    return cfg.read_ts(key);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return cfg.read_str(key);
  } else {
    static_assert(std::is_same_v<T, std::vector<std::string>>);
    return cfg.read_str_vec(key);
  }
}

} // namespace broker
