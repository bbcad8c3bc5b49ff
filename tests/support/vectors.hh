#pragma once

// Loading of the upstream test vectors (tests/vectors/, a copy of
// shared/vectors/) and registration of one Catch2 test case per row, so that
// a new row becomes a new test without code changes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker::test {

/// One TAB-separated line of a vector file.
struct vector_row {
  /// File name relative to the vectors directory, e.g. "data.txt".
  std::string file;
  /// 1-based line number.
  size_t line = 0;
  /// The columns; `fields[0]` is the row's name.
  std::vector<std::string> fields;

  [[nodiscard]] const std::string& name() const { return fields.at(0); }
};

/// Returns the full path of a vector file.
std::string vector_path(const std::string& file);

/// Loads all rows of a vector file, skipping blank lines and `#` comments.
/// @throws std::runtime_error if the file cannot be read.
std::vector<vector_row> load_vector_file(const std::string& file);

/// Returns the first row of `file` named `name` whose `fields[1]` is
/// `field` (any row named `name` if `field` is empty), or nothing.
/// @throws std::runtime_error if the file cannot be read.
std::optional<vector_row> find_vector_row(const std::string& file,
                                          std::string_view name,
                                          std::string_view field = {});

/// Decodes lowercase or uppercase hex without separators.
/// @throws std::invalid_argument on odd length or a non-hex digit.
std::vector<uint8_t> from_hex(std::string_view hex);

/// Encodes bytes as lowercase hex.
std::string to_hex(const uint8_t* bytes, size_t size);

inline std::string to_hex(const std::vector<uint8_t>& bytes) {
  return to_hex(bytes.data(), bytes.size());
}

/// Decodes a text column: `hex:<hex>` columns become the raw bytes, others
/// are returned unchanged (vectors README, "Conventions").
std::string text_column(std::string_view column);

/// A test body that checks one row.
using row_test = void (*)(const vector_row&);

/// Registers one Catch2 test case named "<file>/<row name>" per row of
/// `file`, all tagged `tags`, each running `fn` on its row. If the file
/// cannot be loaded, registers one failing test case that says so.
/// @returns the number of registered test cases.
int register_vector_tests(const char* file, const char* tags, row_test fn);

/// Registers one test case per row of `file` for which `filter` returns
/// true (for files that hold rows of several kinds, like status.txt).
int register_vector_tests(const char* file, const char* tags, row_test fn,
                          bool (*filter)(const vector_row&));

} // namespace broker::test

#define BROKER_TEST_CONCAT_IMPL(a, b) a##b
#define BROKER_TEST_CONCAT(a, b) BROKER_TEST_CONCAT_IMPL(a, b)

/// Registers `fn` for every row of vector file `file` at program start.
#define BROKER_VECTOR_TESTS(file, tags, ...)                                   \
  static const int BROKER_TEST_CONCAT(broker_vector_tests_, __LINE__) =        \
      ::broker::test::register_vector_tests(file, tags, __VA_ARGS__)
