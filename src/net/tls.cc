// libbroker.so's side of TLS: it loads libbroker-tls.so and defines Asio's
// `ssl::detail::engine` as calls into it (see net/tls_module.hh). Nothing
// here calls OpenSSL.

#include "net/tls.hh"

#include "net/tls_impl.hh"
#include "net/tls_module.hh"

#include <dlfcn.h>

#include <atomic>
#include <mutex>

namespace broker::net {

namespace {

/// The module the engines call: set by the first successful load, before
/// any context (and so any engine) exists.
std::atomic<const tls_module*> loaded_module{nullptr};

/// Serializes loads (dlopen itself is thread-safe; the check is not).
std::mutex load_mutex;

const tls_module& module() noexcept {
  return *loaded_module.load(std::memory_order_acquire);
}

/// Fails a load with `reason`.
const tls_module* load_failed(std::string& what, const std::string& reason) {
  what = "cannot load the TLS module: " + reason;
  return nullptr;
}

} // namespace

const tls_module* load_tls_module(const std::string& path, std::string& what) {
  std::lock_guard<std::mutex> guard{load_mutex};
  // RTLD_LOCAL: the module's symbols (its copies of Boost's templates) stay
  // its own. Never unloaded: contexts and streams hold its code.
  auto* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return load_failed(what, ::dlerror());
  using entry_fn = const tls_module* (*)();
  auto entry = reinterpret_cast<entry_fn>(::dlsym(handle, tls_module_entry));
  if (!entry)
    return load_failed(what, path + " has no " + tls_module_entry);
  auto* result = entry();
  if (auto theirs = result->abi(); theirs != tls_module_abi())
    return load_failed(what, path + " was built for '" + theirs +
                                 "', this libbroker for '" + tls_module_abi() +
                                 "'");
  const tls_module* expected = nullptr;
  if (!loaded_module.compare_exchange_strong(expected, result,
                                             std::memory_order_acq_rel) &&
      expected != result)
    return load_failed(what, path + " is not the module already in use");
  return result;
}

std::string tls_module_abi() {
  return BROKER_TLS_MODULE_ABI;
}

std::string default_tls_module_path() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&default_tls_module_path), &info) == 0 ||
      !info.dli_fname)
    return tls_module_file; // the loader's search path
  std::string self{info.dli_fname};
  auto slash = self.rfind('/');
  if (slash == std::string::npos)
    return tls_module_file;
  return self.substr(0, slash + 1) + tls_module_file;
}

std::shared_ptr<tls_context> tls_context::make(const tls_options& opts,
                                               std::string& what) {
  auto* mod = load_tls_module(default_tls_module_path(), what);
  if (!mod)
    return nullptr;
  return mod->make_context(opts, what);
}

} // namespace broker::net

// Asio's engine, defined as calls into the module. Constructors and the
// destructor let the module run Asio's own on the same storage (the engine
// is two pointers, without virtual functions).
namespace boost::asio::ssl {

context::native_handle_type context::native_handle() {
  return handle_;
}

namespace detail {

using broker::net::module;

engine::engine(SSL_CTX* context) {
  module().engine_construct(this, context);
}

engine::engine(engine&& other) noexcept {
  module().engine_move(this, &other);
}

engine::~engine() {
  module().engine_destroy(this);
}

engine::want engine::handshake(stream_base::handshake_type type,
                               boost::system::error_code& ec) {
  return module().engine_handshake(this, type, ec);
}

engine::want engine::shutdown(boost::system::error_code& ec) {
  return module().engine_shutdown(this, ec);
}

engine::want engine::write(const boost::asio::const_buffer& data,
                           boost::system::error_code& ec,
                           std::size_t& bytes_transferred) {
  return module().engine_write(this, data, ec, bytes_transferred);
}

engine::want engine::read(const boost::asio::mutable_buffer& data,
                          boost::system::error_code& ec,
                          std::size_t& bytes_transferred) {
  return module().engine_read(this, data, ec, bytes_transferred);
}

boost::asio::mutable_buffer
engine::get_output(const boost::asio::mutable_buffer& data) {
  return module().engine_get_output(this, data);
}

boost::asio::const_buffer
engine::put_input(const boost::asio::const_buffer& data) {
  return module().engine_put_input(this, data);
}

const boost::system::error_code&
engine::map_error_code(boost::system::error_code& ec) const {
  return module().engine_map_error_code(this, ec);
}

} // namespace detail

} // namespace boost::asio::ssl
