# Fails the build when a source file includes something its layer must not
# (see src/README.md). Run as: cmake -DSRC=<src dir> -P CheckLayers.cmake

# layer folder -> regex of forbidden include paths
set(rules
  "format|^(caf/|boost/|asio|openssl/|core/|net/|wire/)"
  "wire|^(caf/|boost/|asio|openssl/|core/|net/)"
  "net|^(caf/|core/|wire/|format/)"
  "core|^(boost/|asio)")

set(violations "")
foreach(rule IN LISTS rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 layer)
  list(SUBLIST parts 1 -1 forbidden_parts)
  string(REPLACE ";" "|" forbidden "${forbidden_parts}")
  file(GLOB_RECURSE files "${SRC}/${layer}/*.hh" "${SRC}/${layer}/*.cc")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" includes REGEX "^#include [<\"]")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include [<\"]([^>\"]+)[>\"].*" "\\1" path "${line}")
      if(path MATCHES "${forbidden}")
        string(APPEND violations "  ${f}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()

# The model (top-level src/*.cc except the endpoint facade) is standard
# library plus POSIX only.
file(GLOB model_files "${SRC}/*.cc")
foreach(f IN LISTS model_files)
  file(STRINGS "${f}" includes REGEX "^#include [<\"](caf/|boost/|asio)")
  get_filename_component(name "${f}" NAME)
  if(includes AND NOT name MATCHES "^(endpoint|subscriber|status_subscriber|publisher|configuration)\\.cc$")
    string(APPEND violations "  ${f}: ${includes}\n")
  endif()
endforeach()

if(violations)
  message(FATAL_ERROR "layering violations (see src/README.md):\n${violations}")
endif()
