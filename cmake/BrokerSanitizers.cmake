# Applies BROKER_SANITIZE (e.g. "address,undefined", or "thread") to every
# target.
#
# UBSan is built *recoverable* (no -fno-sanitize-recover) so that the one
# known false positive in CAF 0.17.6's headers can be suppressed at run time
# (tests/support/ubsan.supp); the tests run with halt_on_error=1, so every
# other report still fails the test.
#
# ThreadSanitizer ("thread") cannot be combined with "address". It needs an
# instrumented libcaf_core (.ci/build-caf-tsan, then -DCAF_ROOT_DIR=...;
# cmake/FindCAF.cmake refuses an uninstrumented one). Its tests run with
# halt_on_error=1, so the first report fails the test; tests/support/tsan.supp
# holds only justified false positives of third-party code.

if(BROKER_SANITIZE)
  if(BROKER_SANITIZE MATCHES "thread" AND BROKER_SANITIZE MATCHES "address")
    message(FATAL_ERROR "BROKER_SANITIZE: thread and address exclude each "
            "other (got ${BROKER_SANITIZE})")
  endif()
  set(_broker_san_flags -fsanitize=${BROKER_SANITIZE} -fno-omit-frame-pointer)
  add_compile_options(${_broker_san_flags})
  add_link_options(${_broker_san_flags})
  set(BROKER_SANITIZER_ENV
      "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
      "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=${CMAKE_CURRENT_SOURCE_DIR}/tests/support/ubsan.supp"
      "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/tests/support/lsan.supp")
  if(BROKER_SANITIZE MATCHES "thread")
    # GCC 12 warns that TSan does not model std::atomic_thread_fence, which
    # Asio's headers use (-Werror would make that fatal): in fenced_block,
    # redundant where Asio hands operations between threads through its
    # mutex-guarded queues (which TSan does model), and in ref_count_down.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      add_compile_options(-Wno-tsan)
    endif()
    list(APPEND BROKER_SANITIZER_ENV
         "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=${CMAKE_CURRENT_SOURCE_DIR}/tests/support/tsan.supp")
  endif()
else()
  set(BROKER_SANITIZER_ENV "")
endif()
