# Applies BROKER_SANITIZE (e.g. "address,undefined") to every target.
#
# UBSan is built *recoverable* (no -fno-sanitize-recover) so that the one
# known false positive in CAF 0.17.6's headers can be suppressed at run time
# (tests/support/ubsan.supp); the tests run with halt_on_error=1, so every
# other report still fails the test.

if(BROKER_SANITIZE)
  set(_broker_san_flags -fsanitize=${BROKER_SANITIZE} -fno-omit-frame-pointer)
  add_compile_options(${_broker_san_flags})
  add_link_options(${_broker_san_flags})
  set(BROKER_SANITIZER_ENV
      "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
      "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=${CMAKE_CURRENT_SOURCE_DIR}/tests/support/ubsan.supp"
      "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/tests/support/lsan.supp")
else()
  set(BROKER_SANITIZER_ENV "")
endif()
