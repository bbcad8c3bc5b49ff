// broker-node: a Broker endpoint on the command line, for poking at a Broker
// network (Zeek nodes, this library's endpoints, WebSocket clients) from a
// shell or a script. `broker-node --help` documents every flag.
//
// Everything it prints goes to stdout, one line per event (or one JSON
// object per line with --json), flushed at once so that pipes see it;
// diagnostics go to stderr. Exit codes: 0 done, 1 failed at run time
// (peering failed without --retry, --count not reached before --timeout, bad
// input lines), 2 bad command line.
//
// Only the public API is used (plus broker/json.hh for --json and
// --input json), so this file doubles as an example of a host program.

#include <broker/broker.hh>
#include <broker/json.hh>
#include <broker/zeek.hh>

#include <boost/program_options.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace po = boost::program_options;

using clock_type = std::chrono::steady_clock;

namespace {

/// Exit codes (see the file comment).
constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

/// Round trips of --ping when --count is not given.
constexpr uint64_t default_ping_count = 10;

/// Default of --retry: the library's default retry interval of `peer()`.
constexpr uint64_t default_retry_seconds = 10;

/// Bytes read from stdin per read(2) in --publish mode.
constexpr size_t stdin_chunk_size = 4096;

/// Queue size of the --publish publisher (blocks the input loop when full,
/// so that a fast producer is slowed down instead of losing lines).
constexpr size_t publisher_queue_size = 256;

constexpr const char* program_name = "broker-node";

// -- argument types -----------------------------------------------------------

/// Builds a program_options error that names the option in its message.
po::error_with_option_name bad_value(const std::string& value,
                                     const std::string& why) {
  return po::error_with_option_name(
      "invalid value '" + value + "' for option '%canonical_option%': " + why);
}

/// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces).
struct host_port {
  std::string host;
  uint16_t port = 0;

  [[nodiscard]] std::string str() const {
    auto h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
  }
};

/// Parses a decimal number without sign into `out`.
/// @returns `false` for anything else, including out-of-range numbers.
bool parse_unsigned(std::string_view str, uint64_t& out) {
  if (str.empty() || str.size() > 20)
    return false;
  auto [ptr, err] = std::from_chars(str.data(), str.data() + str.size(), out);
  return err == std::errc{} && ptr == str.data() + str.size();
}

/// program_options hook for `host_port` (found by argument-dependent
/// lookup).
void validate(boost::any& out, const std::vector<std::string>& values,
              host_port*, int) {
  po::validators::check_first_occurrence(out);
  const auto& str = po::validators::get_single_string(values);
  auto colon = str.rfind(':');
  if (colon == std::string::npos)
    throw bad_value(str, "expected HOST:PORT");
  host_port result;
  result.host = str.substr(0, colon);
  if (result.host.size() >= 2 && result.host.front() == '[' &&
      result.host.back() == ']')
    result.host = result.host.substr(1, result.host.size() - 2);
  else if (result.host.find(':') != std::string::npos)
    throw bad_value(str, "write IPv6 addresses in brackets: [ADDRESS]:PORT");
  uint64_t port = 0;
  auto port_str = str.substr(colon + 1);
  if (!parse_unsigned(port_str, port) || port > UINT16_MAX)
    throw bad_value(str, "port '" + port_str + "' is not a number in 0-65535");
  result.port = static_cast<uint16_t>(port);
  out = result;
}

/// A non-negative integer (program_options' own parser accepts "-1" for
/// unsigned types and wraps it around).
struct unsigned_arg {
  uint64_t value = 0;
};

void validate(boost::any& out, const std::vector<std::string>& values,
              unsigned_arg*, int) {
  po::validators::check_first_occurrence(out);
  const auto& str = po::validators::get_single_string(values);
  unsigned_arg result;
  if (!parse_unsigned(str, result.value))
    throw bad_value(str, "expected a non-negative integer");
  out = result;
}

/// A positive duration in seconds, fractions allowed ("0.5").
struct seconds_arg {
  double value = 0;
};

void validate(boost::any& out, const std::vector<std::string>& values,
              seconds_arg*, int) {
  po::validators::check_first_occurrence(out);
  const auto& str = po::validators::get_single_string(values);
  seconds_arg result;
  std::istringstream in{str};
  in.imbue(std::locale::classic());
  if (!(in >> result.value) || !in.eof() || !std::isfinite(result.value) ||
      result.value <= 0)
    throw bad_value(str, "expected a positive number of seconds");
  out = result;
}

/// How --publish reads its input lines.
enum class input_format { string, json };

void validate(boost::any& out, const std::vector<std::string>& values,
              input_format*, int) {
  po::validators::check_first_occurrence(out);
  const auto& str = po::validators::get_single_string(values);
  if (str == "string")
    out = input_format::string;
  else if (str == "json")
    out = input_format::json;
  else
    throw bad_value(str, "expected 'string' or 'json'");
}

/// `KEY=VALUE` for --set.
struct setting_arg {
  std::string key;
  std::string value;
};

void validate(boost::any& out, const std::vector<std::string>& values,
              setting_arg*, int) {
  const auto& str = po::validators::get_single_string(values);
  auto eq = str.find('=');
  if (eq == 0 || eq == std::string::npos)
    throw bad_value(str, "expected KEY=VALUE, e.g. broker.ttl=4");
  out = setting_arg{str.substr(0, eq), str.substr(eq + 1)};
}

// -- options ------------------------------------------------------------------

/// What the command line asks for.
struct options {
  std::vector<host_port> listen;
  std::vector<host_port> websocket_listen;
  std::vector<host_port> peers;
  uint64_t retry_seconds = default_retry_seconds;
  std::vector<std::string> subscribe;
  std::optional<std::string> publish;
  input_format input = input_format::string;
  std::optional<std::string> ping;
  std::optional<std::string> pong;
  std::optional<uint64_t> count;
  std::optional<double> timeout_seconds;
  bool status = false;
  bool json = false;
  bool disable_ssl = false;
  std::string ssl_certificate;
  std::string ssl_key;
  std::string ssl_passphrase;
  std::string ssl_cafile;
  std::string ssl_capath;
  std::vector<setting_arg> settings;
};

/// Thrown for command lines that parse but make no sense.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

po::options_description make_description() {
  po::options_description all{
      "Usage: broker-node [OPTION]...\n\n"
      "A Broker endpoint on the command line: listens and peers, prints the\n"
      "messages of subscribed topics, publishes lines from stdin, measures\n"
      "round trips with Zeek ping/pong events, and reports peering events.\n"
      "Runs until --count or --timeout is met, the input ends (--publish),\n"
      "or SIGINT/SIGTERM. Settings from BROKER_* environment variables apply\n"
      "(e.g. BROKER_CONSOLE_VERBOSITY=info logs the library's lifecycle\n"
      "events to stderr).\n\n"
      "Exit status: 0 done, 1 run-time failure, 2 bad command line.\n\n"
      "Examples:\n"
      "  broker-node --listen 127.0.0.1:9999 --subscribe /zeek/ --status\n"
      "  echo hello | broker-node --peer 127.0.0.1:9999 --publish /zeek/chat\n"
      "  broker-node --listen 127.0.0.1:9999 --pong /pingpong\n"
      "  broker-node --peer 127.0.0.1:9999 --ping /pingpong --count 5\n\n"
      "Options"};
  po::options_description peering{"Peering"};
  peering.add_options()(
      "listen", po::value<std::vector<host_port>>()->value_name("HOST:PORT"),
      "accept peers on HOST:PORT (repeatable; ':PORT' listens on all "
      "interfaces, port 0 on a free port); prints 'listening on HOST:PORT' "
      "with the bound port")(
      "websocket-listen",
      po::value<std::vector<host_port>>()->value_name("HOST:PORT"),
      "accept WebSocket clients (JSON v1 API on /v1/messages/json) on "
      "HOST:PORT (repeatable); uses TLS unless --disable-ssl")(
      "peer", po::value<std::vector<host_port>>()->value_name("HOST:PORT"),
      "peer with the endpoint at HOST:PORT (repeatable)")(
      "retry", po::value<unsigned_arg>()->value_name("SECONDS"),
      "retry failed or lost peerings every SECONDS (default 10); 0 makes a "
      "failed first attempt fatal (exit 1)");
  po::options_description messages{"Messages"};
  messages.add_options()(
      "subscribe", po::value<std::vector<std::string>>()->value_name("TOPIC"),
      "print every message whose topic starts with TOPIC (repeatable)")(
      "publish", po::value<std::string>()->value_name("TOPIC"),
      "publish each line of stdin on TOPIC, once every --peer is connected "
      "(or, without --peer, once the first peer or client is); exits at end "
      "of input unless --count still waits for messages")(
      "input", po::value<input_format>()->value_name("FORMAT"),
      "how --publish reads lines: 'string' (default: each line is a string "
      "value) or 'json' (each line is a value in Broker's JSON v1 form, e.g. "
      "{\"@data-type\":\"count\",\"data\":42})")(
      "ping", po::value<std::string>()->value_name("TOPIC"),
      "once connected, publish Zeek events ping(count n) on TOPIC, wait for "
      "each pong(n) and print the round-trip time, then a summary; --count "
      "round trips (default 10)")(
      "pong", po::value<std::string>()->value_name("TOPIC"),
      "answer each Zeek event ping(n) on TOPIC with pong(n) on TOPIC; with "
      "--count, exit after that many")(
      "count", po::value<unsigned_arg>()->value_name("N"),
      "exit after N received messages (--subscribe), N round trips (--ping), "
      "N answered pings (--pong), or N published lines (--publish alone)")(
      "timeout", po::value<seconds_arg>()->value_name("SECONDS"),
      "exit after SECONDS (fractions allowed); exit status 1 if --count or "
      "--ping was not done by then");
  po::options_description output{"Output"};
  output.add_options()("status", po::bool_switch(),
                       "print every status and error event (peer_added, "
                       "peer_lost, peer_unavailable, ...) as it happens "
                       "(without it, errors go to stderr)")(
      "json", po::bool_switch(),
      "print one JSON object per line: messages as WebSocket data-message "
      "frames, statuses and errors as {\"type\":\"status\"|\"error\",\"code\":"
      "...}, plus \"listening\", \"round-trip\", \"ping-summary\" and "
      "\"pong\" objects");
  po::options_description tls{"TLS (default: anonymous TLS, as upstream)"};
  tls.add_options()("disable-ssl", po::bool_switch(),
                    "use plain TCP (broker.disable-ssl); both peers must "
                    "agree")(
      "ssl-certificate", po::value<std::string>()->value_name("FILE"),
      "our certificate chain in PEM (broker.ssl.certificate); any --ssl-* "
      "option turns on mutual TLS")(
      "ssl-key", po::value<std::string>()->value_name("FILE"),
      "our private key in PEM (broker.ssl.key)")(
      "ssl-passphrase", po::value<std::string>()->value_name("TEXT"),
      "passphrase of an encrypted --ssl-key (broker.ssl.passphrase)")(
      "ssl-cafile", po::value<std::string>()->value_name("FILE"),
      "CA certificates we trust, PEM (broker.ssl.cafile)")(
      "ssl-capath", po::value<std::string>()->value_name("DIR"),
      "directory of hashed CA certificates we trust (broker.ssl.capath)");
  po::options_description other{"Other"};
  other.add_options()(
      "set", po::value<std::vector<setting_arg>>()->value_name("KEY=VALUE"),
      "set any library setting, e.g. --set broker.ttl=4 (repeatable; keys as "
      "in the README's configuration table)")(
      "help,h", "print this help and exit")("version",
                                            "print the version and exit");
  all.add(peering).add(messages).add(output).add(tls).add(other);
  return all;
}

template <class T>
std::optional<T> get_opt(const po::variables_map& vm, const char* key) {
  if (auto i = vm.find(key); i != vm.end())
    return i->second.as<T>();
  return std::nullopt;
}

/// Returns the values of a repeatable option (empty if not given).
template <class T>
std::vector<T> get_list(const po::variables_map& vm, const char* key) {
  return get_opt<std::vector<T>>(vm, key).value_or(std::vector<T>{});
}

/// Reads the variables into `options` and checks their combination.
/// @throws usage_error
options make_options(const po::variables_map& vm) {
  options result;
  result.listen = get_list<host_port>(vm, "listen");
  result.websocket_listen = get_list<host_port>(vm, "websocket-listen");
  result.peers = get_list<host_port>(vm, "peer");
  if (auto x = get_opt<unsigned_arg>(vm, "retry"))
    result.retry_seconds = x->value;
  result.subscribe = get_list<std::string>(vm, "subscribe");
  result.publish = get_opt<std::string>(vm, "publish");
  result.input =
      get_opt<input_format>(vm, "input").value_or(input_format::string);
  result.ping = get_opt<std::string>(vm, "ping");
  result.pong = get_opt<std::string>(vm, "pong");
  if (auto x = get_opt<unsigned_arg>(vm, "count"))
    result.count = x->value;
  if (auto x = get_opt<seconds_arg>(vm, "timeout"))
    result.timeout_seconds = x->value;
  result.status = vm["status"].as<bool>();
  result.json = vm["json"].as<bool>();
  result.disable_ssl = vm["disable-ssl"].as<bool>();
  result.ssl_certificate =
      get_opt<std::string>(vm, "ssl-certificate").value_or("");
  result.ssl_key = get_opt<std::string>(vm, "ssl-key").value_or("");
  result.ssl_passphrase =
      get_opt<std::string>(vm, "ssl-passphrase").value_or("");
  result.ssl_cafile = get_opt<std::string>(vm, "ssl-cafile").value_or("");
  result.ssl_capath = get_opt<std::string>(vm, "ssl-capath").value_or("");
  result.settings = get_list<setting_arg>(vm, "set");
  // Combinations.
  int modes =
      (result.publish ? 1 : 0) + (result.ping ? 1 : 0) + (result.pong ? 1 : 0);
  if (modes > 1)
    throw usage_error("--publish, --ping and --pong exclude each other");
  for (auto& x : result.peers)
    if (x.port == 0)
      throw usage_error("--peer " + x.str() + ": port must be in 1-65535");
  for (auto& x : result.peers)
    if (x.host.empty())
      throw usage_error("--peer " + x.str() + ": missing host");
  if (result.count && *result.count == 0)
    throw usage_error("--count must be at least 1");
  if (vm.count("input") > 0 && !result.publish)
    throw usage_error("--input only applies to --publish");
  bool any_ssl = !result.ssl_certificate.empty() || !result.ssl_key.empty() ||
                 !result.ssl_passphrase.empty() || !result.ssl_cafile.empty() ||
                 !result.ssl_capath.empty();
  if (result.disable_ssl && any_ssl)
    throw usage_error("--disable-ssl excludes the --ssl-* options");
  if (result.listen.empty() && result.websocket_listen.empty() &&
      result.peers.empty())
    throw usage_error("nothing to do: give at least one of --listen, "
                      "--websocket-listen or --peer");
  return result;
}

// -- output -------------------------------------------------------------------

/// Writes one line of output and flushes it.
void emit_line(const std::string& line) {
  std::cout << line << '\n' << std::flush;
}

/// Appends `,"key":` to a JSON object under construction.
void json_key(std::string& out, std::string_view key) {
  out += ',';
  out += broker::json_quote(key);
  out += ':';
}

/// Renders a status or error context as JSON fields.
void json_context(std::string& out, const broker::endpoint_info* ctx) {
  if (!ctx)
    return;
  if (ctx->node.valid()) {
    json_key(out, "endpoint");
    out += broker::json_quote(broker::to_string(ctx->node));
  }
  if (ctx->network) {
    json_key(out, "address");
    out += broker::json_quote(ctx->network->address);
    json_key(out, "port");
    out += std::to_string(ctx->network->port);
  }
}

/// Formats a duration in milliseconds with microsecond resolution.
std::string format_ms(clock_type::duration x) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(x).count();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(us) / 1000.0);
  return buf;
}

// -- signals ------------------------------------------------------------------

/// Write end of the self-pipe that turns SIGINT/SIGTERM into a readable fd.
int signal_pipe_write = -1;

extern "C" void on_signal(int) {
  char byte = 1;
  auto rc = ::write(signal_pipe_write, &byte, 1);
  static_cast<void>(rc);
}

/// Returns the read end of the self-pipe. @throws std::runtime_error
int install_signal_handlers() {
  int fds[2];
  if (::pipe(fds) != 0)
    throw std::runtime_error(std::string{"pipe: "} + std::strerror(errno));
  for (int fd : fds) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  signal_pipe_write = fds[1];
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return fds[0];
}

// -- the node -----------------------------------------------------------------

/// Builds the endpoint's configuration from the options.
broker::configuration make_config(const options& opts) {
  broker::configuration cfg;
  for (auto& x : opts.settings)
    cfg.set(x.key, x.value);
  if (opts.disable_ssl)
    cfg.set("broker.disable-ssl", true);
  auto set_if = [&cfg](std::string_view key, const std::string& value) {
    if (!value.empty())
      cfg.set(key, value);
  };
  set_if("broker.ssl.certificate", opts.ssl_certificate);
  set_if("broker.ssl.key", opts.ssl_key);
  set_if("broker.ssl.passphrase", opts.ssl_passphrase);
  set_if("broker.ssl.cafile", opts.ssl_cafile);
  set_if("broker.ssl.capath", opts.ssl_capath);
  return cfg;
}

/// Returns the numeric argument of a Zeek event `name(count n)`.
std::optional<broker::count> event_seq(const broker::data& x,
                                       std::string_view name) {
  broker::zeek::Event ev{x};
  if (!ev.valid() || ev.name() != name || ev.args().size() != 1)
    return std::nullopt;
  if (auto n = broker::get_if<broker::count>(&ev.args()[0]))
    return *n;
  return std::nullopt;
}

/// Runs the node: one thread, one poll(2) loop over the signal pipe, the
/// status and data subscribers' descriptors and (with --publish) stdin.
class node {
public:
  node(options opts, broker::configuration cfg, int signal_fd)
      : opts_(std::move(opts)), ep_(std::move(cfg)), signal_fd_(signal_fd),
        events_(ep_.make_status_subscriber(true)),
        data_(ep_.make_subscriber(make_filter(opts_))) {
    if (opts_.ping)
      ping_goal_ = opts_.count.value_or(default_ping_count);
  }

  /// Blocks until done. @returns the exit status.
  int run() {
    if (!start())
      return exit_failure;
    if (opts_.timeout_seconds)
      deadline_ = clock_type::now() +
                  std::chrono::duration_cast<clock_type::duration>(
                      std::chrono::duration<double>{*opts_.timeout_seconds});
    while (!done_) {
      std::vector<pollfd> fds;
      fds.push_back({signal_fd_, POLLIN, 0});
      fds.push_back({events_.fd(), POLLIN, 0});
      fds.push_back({data_.fd(), POLLIN, 0});
      bool reading = publisher_ && !input_done_ && connected();
      if (reading)
        fds.push_back({STDIN_FILENO, POLLIN, 0});
      int wait_ms = -1;
      if (deadline_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *deadline_ - clock_type::now());
        if (left.count() <= 0)
          return on_timeout();
        // Round up: never wake up just before the deadline.
        wait_ms = static_cast<int>(left.count()) + 1;
      }
      auto rc = ::poll(fds.data(), fds.size(), wait_ms);
      if (rc < 0 && errno != EINTR) {
        std::cerr << program_name << ": poll: " << std::strerror(errno) << '\n';
        return exit_failure;
      }
      if (fds[0].revents != 0) {
        done_ = true; // SIGINT or SIGTERM: stop gracefully.
        break;
      }
      // Events first: they tell whether we are connected.
      for (auto& x : events_.poll())
        on_event(x);
      if (done_)
        break;
      for (auto& msg : data_.poll()) {
        on_message(msg);
        if (done_)
          break;
      }
      if (done_)
        break;
      if (reading && fds[3].revents != 0)
        read_input();
      maybe_send_ping();
    }
    return exit_code_;
  }

  /// Ends all peerings gracefully. Blocks (bounded by
  /// broker.shutdown-timeout).
  void shutdown() {
    publisher_.reset();
    ep_.shutdown();
  }

private:
  static broker::filter_type make_filter(const options& opts) {
    broker::filter_type result;
    for (auto& x : opts.subscribe)
      broker::filter_extend(result, broker::topic{x});
    if (opts.ping)
      broker::filter_extend(result, broker::topic{*opts.ping});
    if (opts.pong)
      broker::filter_extend(result, broker::topic{*opts.pong});
    return result;
  }

  /// Listens and starts peering. @returns `false` after printing why it
  /// failed.
  bool start() {
    auto do_listen = [this](const host_port& where, broker::protocol proto,
                            const char* what) {
      broker::error err;
      auto port = ep_.listen(where.host, where.port, proto, &err);
      if (port == 0) {
        std::cerr << program_name << ": " << *err.message() << '\n';
        return false;
      }
      auto bound = host_port{where.host, port};
      if (opts_.json) {
        std::string line = R"({"type":"listening")";
        json_key(line, "protocol");
        line += proto == broker::protocol::websocket ? R"("websocket")"
                                                     : R"("native")";
        json_key(line, "address");
        line += broker::json_quote(where.host);
        json_key(line, "port");
        line += std::to_string(port);
        line += '}';
        emit_line(line);
      } else {
        emit_line(std::string{what} + bound.str());
      }
      return true;
    };
    for (auto& x : opts_.listen)
      if (!do_listen(x, broker::protocol::native, "listening on "))
        return false;
    for (auto& x : opts_.websocket_listen)
      if (!do_listen(x, broker::protocol::websocket,
                     "listening for WebSocket clients on "))
        return false;
    if (opts_.publish)
      publisher_.emplace(ep_.make_publisher(broker::topic{*opts_.publish},
                                            publisher_queue_size));
    for (auto& x : opts_.peers) {
      waiting_.insert(broker::network_info{x.host, x.port});
      ep_.peer_nosync(
          x.host, x.port,
          broker::timeout::seconds{static_cast<int64_t>(opts_.retry_seconds)});
    }
    return true;
  }

  /// Whether input and pings may flow: every --peer is up or, without
  /// --peer, at least one peer or client is.
  [[nodiscard]] bool connected() const {
    return waiting_.empty() && (!opts_.peers.empty() || num_peers_ > 0);
  }

  void on_event(const broker::status_subscriber::value_type& x) {
    if (auto st = std::get_if<broker::status>(&x)) {
      print_event("status", enum_str(st->code()), st->context(), *st->message(),
                  broker::to_string(*st));
      auto net = st->context() ? st->context()->network : std::nullopt;
      switch (st->code()) {
      case broker::sc::peer_added:
        ++num_peers_;
        if (net)
          waiting_.erase(*net);
        break;
      case broker::sc::peer_removed:
      case broker::sc::peer_lost:
        if (num_peers_ > 0)
          --num_peers_;
        break;
      default:
        break;
      }
    } else if (auto err = std::get_if<broker::error>(&x)) {
      auto msg = err->message() ? *err->message() : std::string{};
      print_event("error", enum_str(err->code()), err->context(), msg,
                  broker::to_string(*err));
      auto ctx = err->context();
      if (err->code() == broker::ec::peer_unavailable &&
          opts_.retry_seconds == 0 && ctx && ctx->network &&
          waiting_.count(*ctx->network) > 0) {
        std::cerr << program_name << ": cannot peer with "
                  << broker::to_string(*ctx->network) << ": " << msg << '\n';
        exit_code_ = exit_failure;
        done_ = true;
      } else if (!opts_.status) {
        // Errors are never silent; --status puts them on stdout instead.
        std::cerr << program_name << ": " << broker::to_string(*err) << '\n';
      }
    }
  }

  void print_event(std::string_view type, std::string_view code,
                   const broker::endpoint_info* ctx, const std::string& msg,
                   const std::string& text) {
    if (!opts_.status)
      return;
    if (!opts_.json) {
      emit_line(std::string{type} + ": " + text);
      return;
    }
    std::string line = "{\"type\":" + broker::json_quote(type);
    json_key(line, "code");
    line += broker::json_quote(code);
    json_context(line, ctx);
    json_key(line, "message");
    line += broker::json_quote(msg);
    line += '}';
    emit_line(line);
  }

  void on_message(const broker::data_message& msg) {
    const auto& t = broker::get_topic(msg);
    const auto& x = broker::get_data(msg);
    if (opts_.ping && t.string().rfind(*opts_.ping, 0) == 0) {
      if (auto seq = event_seq(x, "pong")) {
        on_pong(*seq);
        return;
      }
    }
    if (opts_.pong && t.string().rfind(*opts_.pong, 0) == 0) {
      if (auto seq = event_seq(x, "ping")) {
        on_ping(*seq);
        return;
      }
    }
    if (!broker::filter_matches(subscribed_, t))
      return;
    emit_line(opts_.json ? broker::to_json(msg)
                         : t.string() + ": " + broker::to_string(x));
    if (!opts_.ping && !opts_.pong && opts_.count &&
        ++received_ >= *opts_.count)
      done_ = true;
  }

  void on_ping(broker::count seq) {
    ep_.publish(*opts_.pong, broker::zeek::Event{"pong", {seq}});
    if (opts_.json)
      emit_line(R"({"type":"pong","seq":)" + std::to_string(seq) + "}");
    else
      emit_line("answered ping " + std::to_string(seq));
    if (opts_.count && ++received_ >= *opts_.count)
      done_ = true;
  }

  void maybe_send_ping() {
    if (!opts_.ping || ping_in_flight_ || done_ || !connected())
      return;
    if (pings_done_ >= ping_goal_) {
      print_summary();
      done_ = true;
      return;
    }
    ping_sent_at_ = clock_type::now();
    ping_in_flight_ = true;
    ep_.publish(*opts_.ping, broker::zeek::Event{"ping", {next_seq_}});
  }

  void on_pong(broker::count seq) {
    if (!ping_in_flight_ || seq != next_seq_)
      return; // A late answer to an earlier run, or not ours.
    auto rtt = clock_type::now() - ping_sent_at_;
    ping_in_flight_ = false;
    ++next_seq_;
    ++pings_done_;
    rtts_.push_back(rtt);
    if (opts_.json)
      emit_line(R"({"type":"round-trip","seq":)" + std::to_string(seq) +
                R"(,"rtt_ms":)" + format_ms(rtt) + "}");
    else
      emit_line("pong " + std::to_string(seq) + ": " + format_ms(rtt) + " ms");
    maybe_send_ping();
  }

  void print_summary() {
    if (rtts_.empty())
      return;
    auto [min_it, max_it] = std::minmax_element(rtts_.begin(), rtts_.end());
    clock_type::duration sum{0};
    for (auto x : rtts_)
      sum += x;
    auto avg = sum / static_cast<int64_t>(rtts_.size());
    auto n = std::to_string(rtts_.size());
    if (opts_.json)
      emit_line(R"({"type":"ping-summary","round_trips":)" + n +
                R"(,"min_ms":)" + format_ms(*min_it) + R"(,"avg_ms":)" +
                format_ms(avg) + R"(,"max_ms":)" + format_ms(*max_it) + "}");
    else
      emit_line(n + " round trips: min " + format_ms(*min_it) + " ms, avg " +
                format_ms(avg) + " ms, max " + format_ms(*max_it) + " ms");
  }

  void read_input() {
    char buf[stdin_chunk_size];
    auto n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        return;
      std::cerr << program_name
                << ": cannot read stdin: " << std::strerror(errno) << '\n';
      n = 0;
    }
    if (n == 0) {
      if (!partial_line_.empty())
        publish_line(std::exchange(partial_line_, {}));
      end_of_input();
      return;
    }
    partial_line_.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (auto nl = partial_line_.find('\n'); nl != std::string::npos;
         nl = partial_line_.find('\n', start)) {
      publish_line(partial_line_.substr(start, nl - start));
      start = nl + 1;
      if (input_done_)
        break;
    }
    partial_line_.erase(0, start);
  }

  void end_of_input() {
    input_done_ = true;
    // Without --subscribe or with --count met (or absent), EOF ends the run.
    bool waiting_for_messages =
        !opts_.subscribe.empty() && opts_.count && received_ < *opts_.count;
    if (!waiting_for_messages)
      done_ = true;
  }

  void publish_line(std::string line) {
    ++line_number_;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (opts_.input == input_format::json) {
      auto x = broker::data_from_json(line);
      if (!x) {
        std::cerr << program_name << ": stdin line " << line_number_
                  << ": not a JSON v1 value: " << *x.error().message() << '\n';
        exit_code_ = exit_failure;
        return;
      }
      publisher_->publish(std::move(*x));
    } else {
      publisher_->publish(broker::data{std::move(line)});
    }
    if (opts_.subscribe.empty() && opts_.count &&
        ++published_ >= *opts_.count) {
      input_done_ = true;
      done_ = true;
    }
  }

  int on_timeout() {
    bool goal_missed = false;
    if (opts_.ping) {
      goal_missed = pings_done_ < ping_goal_;
      print_summary();
      if (goal_missed)
        std::cerr << program_name << ": timeout: " << pings_done_ << " of "
                  << ping_goal_ << " round trips done\n";
    } else if (opts_.count && (!opts_.publish || !opts_.subscribe.empty())) {
      goal_missed = received_ < *opts_.count;
      if (goal_missed)
        std::cerr << program_name << ": timeout: got " << received_ << " of "
                  << *opts_.count << " messages\n";
    } else if (opts_.publish && !connected()) {
      goal_missed = true;
      std::cerr << program_name << ": timeout: never connected\n";
    }
    return goal_missed ? exit_failure : exit_code_;
  }

  options opts_;
  broker::endpoint ep_;
  int signal_fd_;
  broker::status_subscriber events_;
  broker::subscriber data_;
  broker::filter_type subscribed_ = [this] {
    broker::filter_type result;
    for (auto& x : opts_.subscribe)
      broker::filter_extend(result, broker::topic{x});
    return result;
  }();
  std::optional<broker::publisher> publisher_;
  std::set<broker::network_info> waiting_;
  size_t num_peers_ = 0;
  std::optional<clock_type::time_point> deadline_;
  bool done_ = false;
  int exit_code_ = exit_ok;
  uint64_t received_ = 0;
  uint64_t published_ = 0;
  // --publish
  bool input_done_ = false;
  std::string partial_line_;
  uint64_t line_number_ = 0;
  // --ping
  uint64_t ping_goal_ = 0;
  uint64_t pings_done_ = 0;
  broker::count next_seq_ = 0;
  bool ping_in_flight_ = false;
  clock_type::time_point ping_sent_at_;
  std::vector<clock_type::duration> rtts_;
};

int usage_failure(const std::string& what) {
  std::cerr << program_name << ": " << what << "\nTry '" << program_name
            << " --help' for more information.\n";
  return exit_usage;
}

} // namespace

int main(int argc, char** argv) {
  auto description = make_description();
  po::variables_map vm;
  options opts;
  try {
    // No positional arguments: a stray word is an error, not ignored.
    po::store(po::command_line_parser(argc, argv)
                  .options(description)
                  .positional(po::positional_options_description{})
                  .run(),
              vm);
    po::notify(vm);
    if (vm.count("help") > 0) {
      std::cout << description << '\n';
      return exit_ok;
    }
    if (vm.count("version") > 0) {
      std::cout << program_name << ' ' << BROKER_NG_VERSION << " (Broker API "
                << broker::version::string() << ", wire protocol "
                << static_cast<int>(broker::version::wire_protocol) << ")\n";
      return exit_ok;
    }
    opts = make_options(vm);
  } catch (const po::error& e) {
    return usage_failure(e.what());
  } catch (const usage_error& e) {
    return usage_failure(e.what());
  }
  try {
    auto signal_fd = install_signal_handlers();
    auto cfg = make_config(opts);
    node n{std::move(opts), std::move(cfg), signal_fd};
    auto rc = n.run();
    n.shutdown();
    return rc;
  } catch (const std::exception& e) {
    // E.g. std::invalid_argument from the endpoint for a bad TLS file or
    // setting; the message names it.
    std::cerr << program_name << ": " << e.what() << '\n';
    return exit_failure;
  }
}
