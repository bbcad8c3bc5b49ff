// The compiled part of Boost.JSON (header-only mode: exactly one translation
// unit of the library includes src.hpp). Used by json.cc's parser.
//
// GCC 12 with -fsanitize=address reports false -Warray-bounds and
// -Wstringop-overflow inside Boost.JSON's array::relocate (a memmove into a
// region it wrongly sizes as 0); they concern Boost's code only, so they
// are silenced here only.

#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Warray-bounds"
#  pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

#include <boost/json/src.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic pop
#endif
