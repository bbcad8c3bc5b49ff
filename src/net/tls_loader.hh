#pragma once

// How libbroker.so finds and loads its TLS module, libbroker-tls.so (see
// net/tls_module.hh). Boost-free, for the tests of these error paths.

#include <string>

namespace broker::net {

struct tls_module;

/// The module's file name; libbroker.so looks for it in its own directory.
inline constexpr const char* tls_module_file = "libbroker-tls.so";

/// The one symbol the module exports: `extern "C" const tls_module*
/// broker_tls_module()`.
inline constexpr const char* tls_module_entry = "broker_tls_module";

/// Loads the module from `path` and checks its ABI. A module stays loaded
/// until the process ends (contexts and streams run its code), and one
/// process uses one module. Blocks while the dynamic loader runs.
/// @returns the module, or `nullptr` with `what` saying why (the loader's
///          error, a missing entry point, a mismatching ABI, or another
///          module already in use).
[[nodiscard]] const tls_module* load_tls_module(const std::string& path,
                                                std::string& what);

/// The path libbroker.so loads the module from: `tls_module_file` in the
/// directory of the file that holds this function (libbroker.so; a test or
/// fuzzer that links net/ statically looks next to itself).
[[nodiscard]] std::string default_tls_module_path();

/// The ABI a module must have for this libbroker (`BROKER_TLS_MODULE_ABI`).
[[nodiscard]] std::string tls_module_abi();

} // namespace broker::net
