// Compiles Asio's out-of-line parts once for the whole library
// (BOOST_ASIO_SEPARATE_COMPILATION keeps every other translation unit
// lighter). Its TLS engine is not among them: net/tls.cc defines it as calls
// into the TLS module.
#include <boost/asio/impl/src.hpp>
