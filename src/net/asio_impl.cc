// Compiles Asio's out-of-line parts, and those of its TLS layer, once for
// the whole library (BOOST_ASIO_SEPARATE_COMPILATION keeps every other
// translation unit lighter).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
