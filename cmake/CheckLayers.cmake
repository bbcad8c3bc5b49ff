# Fails the build when a source file includes something its layer must not
# (see src/README.md). Run as: cmake -DSRC=<src dir> -P CheckLayers.cmake

# layer folder -> regex of forbidden include paths
set(rules
  "format|^(caf/|boost/|asio|openssl/|core/|net/|wire/)"
  "wire|^(caf/|boost/|asio|openssl/|core/|net/)"
  "net|^(caf/|core/|wire/|format/)"
  "core|^(boost/|asio)")

# layer folder -> regex of include paths allowed although a rule above
# forbids them: format/ parses JSON with Boost.JSON (and no other Boost).
set(exceptions
  "format|^boost/json/")

set(violations "")
foreach(rule IN LISTS rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 layer)
  list(SUBLIST parts 1 -1 forbidden_parts)
  string(REPLACE ";" "|" forbidden "${forbidden_parts}")
  set(allowed "")
  foreach(exception IN LISTS exceptions)
    string(REPLACE "|" ";" exception_parts "${exception}")
    list(GET exception_parts 0 exception_layer)
    if(exception_layer STREQUAL layer)
      list(SUBLIST exception_parts 1 -1 allowed_parts)
      string(REPLACE ";" "|" allowed "${allowed_parts}")
    endif()
  endforeach()
  file(GLOB_RECURSE files "${SRC}/${layer}/*.hh" "${SRC}/${layer}/*.cc")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" includes REGEX "^#include [<\"]")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include [<\"]([^>\"]+)[>\"].*" "\\1" path "${line}")
      if(path MATCHES "${forbidden}" AND
         (allowed STREQUAL "" OR NOT path MATCHES "${allowed}"))
        string(APPEND violations "  ${f}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()

# Headers of format/ stay free of Boost, so that layers which must not see
# Boost (core/, wire/) can include them.
file(GLOB_RECURSE format_headers "${SRC}/format/*.hh")
foreach(f IN LISTS format_headers)
  file(STRINGS "${f}" includes REGEX "^#include [<\"]boost/")
  if(includes)
    string(APPEND violations "  ${f}: ${includes}\n")
  endif()
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
