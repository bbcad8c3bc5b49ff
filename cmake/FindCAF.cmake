# FindCAF.cmake -- locates the C++ Actor Framework (CAF) 0.17 as shipped by
# Debian's libcaf-dev, which has no CMake package of its own.
#
# Hints: CAF_ROOT_DIR, a prefix holding include/caf and lib/libcaf_core.so
# (e.g. the ThreadSanitizer build of .ci/build-caf-tsan); when set, CAF is
# looked for there only, so headers and library cannot come from two
# different installations. CMAKE_PREFIX_PATH and CAF_ROOT also work (searched
# before the system directories).
#
# Result variables:
#   CAF_FOUND, CAF_VERSION, CAF_INCLUDE_DIR
# Imported targets (include directories are SYSTEM, so CAF's own warnings do
# not pollute our -Wall -Wextra build):
#   CAF::core  (libcaf_core)
#   CAF::io    (libcaf_io, depends on CAF::core)

set(CAF_ROOT_DIR "" CACHE PATH
    "Prefix of the CAF installation to use (default: the system's)")
# A changed hint invalidates what an earlier configure found.
if(NOT "${CAF_ROOT_DIR}" STREQUAL "${_CAF_ROOT_DIR_USED}")
  unset(CAF_INCLUDE_DIR CACHE)
  unset(CAF_CORE_LIBRARY CACHE)
  unset(CAF_IO_LIBRARY CACHE)
  set(_CAF_ROOT_DIR_USED "${CAF_ROOT_DIR}" CACHE INTERNAL "")
endif()
if(CAF_ROOT_DIR)
  set(_caf_search PATHS "${CAF_ROOT_DIR}" NO_DEFAULT_PATH)
else()
  set(_caf_search "")
endif()

find_path(CAF_INCLUDE_DIR NAMES caf/config.hpp ${_caf_search}
          PATH_SUFFIXES include)
find_library(CAF_CORE_LIBRARY NAMES caf_core ${_caf_search}
             PATH_SUFFIXES lib lib64)
find_library(CAF_IO_LIBRARY NAMES caf_io ${_caf_search}
             PATH_SUFFIXES lib lib64)

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" _caf_v
         "${_caf_version_line}")
  if(_caf_v)
    math(EXPR _caf_major "${_caf_v} / 10000")
    math(EXPR _caf_minor "(${_caf_v} / 100) % 100")
    math(EXPR _caf_patch "${_caf_v} % 100")
    set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
  endif()
endif()

# The library's file name carries its version (libcaf_core.so.0.17.6): it
# must be the headers' version, or the two come from different builds.
if(CAF_VERSION AND CAF_CORE_LIBRARY)
  get_filename_component(_caf_core_real "${CAF_CORE_LIBRARY}" REALPATH)
  if(_caf_core_real MATCHES "\\.so\\.([0-9]+\\.[0-9]+\\.[0-9]+)$"
     AND NOT CMAKE_MATCH_1 VERSION_EQUAL CAF_VERSION)
    message(FATAL_ERROR "CAF headers in ${CAF_INCLUDE_DIR} are version "
            "${CAF_VERSION} but ${_caf_core_real} is ${CMAKE_MATCH_1}")
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_CORE_LIBRARY CAF_INCLUDE_DIR
  VERSION_VAR CAF_VERSION)

if(CAF_FOUND)
  find_package(Threads REQUIRED)
  if(NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
      INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  if(CAF_IO_LIBRARY AND NOT TARGET CAF::io)
    add_library(CAF::io UNKNOWN IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::core)
  endif()
endif()

# ThreadSanitizer only sees the accesses of instrumented code: with Debian's
# uninstrumented libcaf_core it misses CAF's synchronization between actors
# and reports false races in every message hand-off.
if(CAF_FOUND AND BROKER_SANITIZE MATCHES "thread")
  file(STRINGS "${CAF_CORE_LIBRARY}" _caf_tsan LIMIT_COUNT 1
       REGEX "__tsan_func_entry")
  if(NOT _caf_tsan)
    message(FATAL_ERROR "BROKER_SANITIZE=thread needs a libcaf_core built "
            "with -fsanitize=thread, but ${CAF_CORE_LIBRARY} is not: run "
            ".ci/build-caf-tsan and pass -DCAF_ROOT_DIR=build/caf-tsan/install")
  endif()
endif()

mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)
