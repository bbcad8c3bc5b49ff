// Compiles Asio's out-of-line parts once for the whole library
// (BOOST_ASIO_SEPARATE_COMPILATION keeps every other translation unit
// lighter).
#include <boost/asio/impl/src.hpp>
