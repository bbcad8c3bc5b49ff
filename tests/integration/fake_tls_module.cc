// A TLS module as another build of it would be (net/tls_module.hh): its
// table has another ABI, so the loader must refuse it before calling
// anything else in it.

#include "net/tls_module.hh"

namespace {

broker::net::tls_module make_fake() {
  broker::net::tls_module result{};
  result.abi = [] { return std::string{"tls_module v0"}; };
  return result;
}

const broker::net::tls_module fake = make_fake();

} // namespace

extern "C" const broker::net::tls_module* broker_tls_module() {
  return &fake;
}
