# What `cmake --install` puts where: the shared library (with SONAME) and
# its TLS module (libbroker-tls.so), the
# public headers, an exported CMake package (find_package(Broker) +
# Broker::broker), a pkg-config file (broker.pc), and the programs that
# subdirectories register with broker_install_programs(). Included by the
# top-level CMakeLists.txt right after src/.
#
# The public headers include nothing but the C++17 standard library and each
# other (CAF, Boost and OpenSSL stay private to libbroker.so), so the
# installed package has no dependencies of its own to find.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(BROKER_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Broker")

# Consumers use the same name in-tree (examples/) and installed.
add_library(Broker::broker ALIAS broker)
set_property(TARGET broker APPEND PROPERTY INTERFACE_COMPILE_FEATURES
             cxx_std_17)

install(TARGETS broker EXPORT BrokerTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
# The TLS module, next to the library that loads it (net/tls_module.hh).
install(TARGETS broker_tls LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/broker"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.hh")

# -- CMake package ------------------------------------------------------------

install(EXPORT BrokerTargets
  NAMESPACE Broker::
  FILE BrokerTargets.cmake
  DESTINATION "${BROKER_INSTALL_CMAKEDIR}")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/BrokerConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/BrokerConfig.cmake"
  INSTALL_DESTINATION "${BROKER_INSTALL_CMAKEDIR}")
# 0.x releases: only the same minor version is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/BrokerConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/BrokerConfig.cmake"
  "${PROJECT_BINARY_DIR}/BrokerConfigVersion.cmake"
  DESTINATION "${BROKER_INSTALL_CMAKEDIR}")

# -- pkg-config ---------------------------------------------------------------

# Relocatable: paths relative to the .pc file (pkgconf's ${pcfiledir}), so
# that `cmake --install --prefix <dir>` yields a working file.
set(BROKER_PC_DIR "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig")
file(RELATIVE_PATH BROKER_PC_TO_PREFIX "${BROKER_PC_DIR}"
     "${CMAKE_INSTALL_PREFIX}")
file(RELATIVE_PATH BROKER_PC_LIBDIR "${CMAKE_INSTALL_PREFIX}"
     "${CMAKE_INSTALL_FULL_LIBDIR}")
file(RELATIVE_PATH BROKER_PC_INCLUDEDIR "${CMAKE_INSTALL_PREFIX}"
     "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
string(REGEX REPLACE "/$" "" BROKER_PC_TO_PREFIX "${BROKER_PC_TO_PREFIX}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/broker.pc.in"
               "${PROJECT_BINARY_DIR}/broker.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/broker.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

# -- programs -----------------------------------------------------------------

# Installs executables into bin/ with an RPATH that finds the library in
# the same installation, wherever its prefix is.
function(broker_install_programs)
  file(RELATIVE_PATH bin_to_lib "${CMAKE_INSTALL_FULL_BINDIR}"
       "${CMAKE_INSTALL_FULL_LIBDIR}")
  set_target_properties(${ARGN} PROPERTIES
    INSTALL_RPATH "$ORIGIN/${bin_to_lib}")
  install(TARGETS ${ARGN} RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endfunction()
