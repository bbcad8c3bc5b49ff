#include "broker/configuration.hh"

#include <charconv>
#include <cstdlib>
#include <utility>

namespace broker {

namespace {

/// Environment variables we read, and the key each one sets (spec:
/// upstream-broker.md §1.10).
constexpr std::pair<const char*, const char*> env_keys[] = {
    {"BROKER_CONSOLE_VERBOSITY", "broker.console-verbosity"},
    {"BROKER_FILE_VERBOSITY", "broker.file-verbosity"},
    {"BROKER_METRICS_PORT", "broker.metrics.port"},
    {"BROKER_METRICS_ENDPOINT_NAME", "broker.metrics.endpoint-name"},
    {"BROKER_WEB_SOCKET_PORT", "broker.web-socket.port"},
};

bool parse_bool(std::string_view str, bool& out) {
  if (str == "true" || str == "1" || str == "yes" || str == "on") {
    out = true;
    return true;
  }
  if (str == "false" || str == "0" || str == "no" || str == "off") {
    out = false;
    return true;
  }
  return false;
}

template <class T>
bool parse_int(std::string_view str, T& out) {
  auto first = str.data();
  auto last = str.data() + str.size();
  auto [ptr, err] = std::from_chars(first, last, out);
  return err == std::errc{} && ptr == last;
}

std::vector<std::string> split_list(std::string_view str) {
  std::vector<std::string> result;
  while (!str.empty()) {
    auto comma = str.find(',');
    auto item = str.substr(0, comma);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (!item.empty())
      result.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    str.remove_prefix(comma + 1);
  }
  return result;
}

} // namespace

void convert(overflow_policy x, std::string& str) {
  switch (x) {
  case overflow_policy::drop_newest:
    str = "drop_newest";
    return;
  case overflow_policy::drop_oldest:
    str = "drop_oldest";
    return;
  case overflow_policy::disconnect:
    str = "disconnect";
    return;
  }
  str = "disconnect";
}

bool convert(const std::string& str, overflow_policy& x) noexcept {
  if (str == "drop_newest")
    x = overflow_policy::drop_newest;
  else if (str == "drop_oldest")
    x = overflow_policy::drop_oldest;
  else if (str == "disconnect")
    x = overflow_policy::disconnect;
  else
    return false;
  return true;
}

bool openssl_options::authentication_enabled() const noexcept {
  return !certificate.empty() || !key.empty() || !passphrase.empty() ||
         !capath.empty() || !cafile.empty();
}

configuration::configuration(skip_init_t) {
}

configuration::configuration() {
  init(0, nullptr);
}

configuration::configuration(broker_options opts) : options_(opts) {
  init(0, nullptr);
}

configuration::configuration(int argc, char** argv) {
  init(argc, argv);
}

configuration::~configuration() = default;

void configuration::init(int argc, char** argv) {
  for (auto [var, key] : env_keys)
    if (auto val = std::getenv(var); val != nullptr && *val != '\0')
      set_value(key, std::string{val});
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg.substr(0, 2) != "--" || arg.find('=') == std::string_view::npos) {
      remainder_.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(2);
    auto eq = arg.find('=');
    std::string key{arg.substr(0, eq)};
    // spec §1.10: the `broker.` category is optional on the command line.
    if (key.rfind("broker.", 0) != 0 && key.rfind("caf.", 0) != 0)
      key.insert(0, "broker.");
    set_value(key, std::string{arg.substr(eq + 1)});
  }
}

void configuration::set_value(std::string_view key, value_type val) {
  auto& slot = values_[std::string{key}];
  slot = std::move(val);
  // Mirror into options_ (ignore values that do not parse: the key keeps the
  // raw value and the endpoint reports it).
  if (key == "broker.disable-ssl") {
    if (auto x = read_bool(key))
      options_.disable_ssl = *x;
  } else if (key == "broker.skip-ssl-init") {
    if (auto x = read_bool(key))
      options_.skip_ssl_init = *x;
  } else if (key == "broker.disable-forwarding") {
    if (auto x = read_bool(key))
      options_.disable_forwarding = *x;
  } else if (key == "broker.ttl") {
    if (auto x = read_u64(key, UINT16_MAX))
      options_.ttl = static_cast<uint16_t>(*x);
  } else if (key == "broker.peer-buffer-size") {
    if (auto x = read_u64(key, SIZE_MAX))
      options_.peer_buffer_size = *x;
  } else if (key == "broker.web-socket-buffer-size") {
    if (auto x = read_u64(key, SIZE_MAX))
      options_.web_socket_buffer_size = *x;
  } else if (key == "broker.peer-overflow-policy") {
    if (auto x = read_str(key))
      (void)convert(*x, options_.peer_overflow_policy);
  } else if (key == "broker.web-socket-overflow-policy") {
    if (auto x = read_str(key))
      (void)convert(*x, options_.web_socket_overflow_policy);
  }
}

std::optional<int64_t> configuration::read_i64(std::string_view key,
                                               int64_t min_val,
                                               int64_t max_val) const {
  auto i = values_.find(key);
  if (i == values_.end())
    return std::nullopt;
  int64_t result = 0;
  if (auto x = std::get_if<int64_t>(&i->second)) {
    result = *x;
  } else if (auto y = std::get_if<uint64_t>(&i->second)) {
    if (*y > static_cast<uint64_t>(INT64_MAX))
      return std::nullopt;
    result = static_cast<int64_t>(*y);
  } else if (auto str = std::get_if<std::string>(&i->second)) {
    if (!parse_int(*str, result))
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (result < min_val || result > max_val)
    return std::nullopt;
  return result;
}

std::optional<uint64_t> configuration::read_u64(std::string_view key,
                                                uint64_t max_val) const {
  auto i = values_.find(key);
  if (i == values_.end())
    return std::nullopt;
  uint64_t result = 0;
  if (auto x = std::get_if<uint64_t>(&i->second)) {
    result = *x;
  } else if (auto y = std::get_if<int64_t>(&i->second)) {
    if (*y < 0)
      return std::nullopt;
    result = static_cast<uint64_t>(*y);
  } else if (auto str = std::get_if<std::string>(&i->second)) {
    // Ports may be written as "N/tcp" (spec §1.10, BROKER_METRICS_PORT).
    std::string_view num{*str};
    if (auto slash = num.find('/'); slash != std::string_view::npos)
      num = num.substr(0, slash);
    if (!parse_int(num, result))
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (result > max_val)
    return std::nullopt;
  return result;
}

std::optional<bool> configuration::read_bool(std::string_view key) const {
  auto i = values_.find(key);
  if (i == values_.end())
    return std::nullopt;
  if (auto x = std::get_if<bool>(&i->second))
    return *x;
  if (auto str = std::get_if<std::string>(&i->second)) {
    bool result = false;
    if (parse_bool(*str, result))
      return result;
  }
  return std::nullopt;
}

std::optional<timespan> configuration::read_ts(std::string_view key) const {
  auto i = values_.find(key);
  if (i == values_.end())
    return std::nullopt;
  if (auto x = std::get_if<timespan>(&i->second))
    return *x;
  if (auto str = std::get_if<std::string>(&i->second)) {
    timespan result{};
    if (convert(*str, result))
      return result;
    int64_t secs = 0;
    if (parse_int(*str, secs))
      return std::chrono::duration_cast<timespan>(std::chrono::seconds{secs});
    return std::nullopt;
  }
  if (auto x = std::get_if<int64_t>(&i->second))
    return std::chrono::duration_cast<timespan>(std::chrono::seconds{*x});
  if (auto x = std::get_if<uint64_t>(&i->second))
    return std::chrono::duration_cast<timespan>(
        std::chrono::seconds{static_cast<int64_t>(*x)});
  return std::nullopt;
}

std::optional<std::string> configuration::read_str(std::string_view key) const {
  auto i = values_.find(key);
  if (i == values_.end())
    return std::nullopt;
  if (auto x = std::get_if<std::string>(&i->second))
    return *x;
  return std::nullopt;
}

std::optional<std::vector<std::string>>
configuration::read_str_vec(std::string_view key) const {
  auto i = values_.find(key);
  if (i == values_.end())
    return std::nullopt;
  if (auto x = std::get_if<std::vector<std::string>>(&i->second))
    return *x;
  if (auto x = std::get_if<std::string>(&i->second))
    return split_list(*x);
  return std::nullopt;
}

#define BROKER_SSL_ACCESSOR(name, key)                                         \
  std::string configuration::openssl_##name() const {                          \
    return read_str(key).value_or(std::string{});                              \
  }                                                                            \
  void configuration::openssl_##name(std::string value) {                      \
    set_value(key, std::move(value));                                          \
  }

BROKER_SSL_ACCESSOR(certificate, "broker.ssl.certificate")
BROKER_SSL_ACCESSOR(key, "broker.ssl.key")
BROKER_SSL_ACCESSOR(passphrase, "broker.ssl.passphrase")
BROKER_SSL_ACCESSOR(capath, "broker.ssl.capath")
BROKER_SSL_ACCESSOR(cafile, "broker.ssl.cafile")

#undef BROKER_SSL_ACCESSOR

openssl_options_ptr configuration::openssl_options() const {
  if (options_.disable_ssl)
    return nullptr;
  auto result = std::make_shared<broker::openssl_options>();
  result->certificate = openssl_certificate();
  result->key = openssl_key();
  result->passphrase = openssl_passphrase();
  result->capath = openssl_capath();
  result->cafile = openssl_cafile();
  return result;
}

} // namespace broker
