#include "support/vectors.hh"

#include <catch2/catch.hpp>

#include <deque>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

namespace broker::test {

std::string vector_path(const std::string& file) {
  return std::string{BROKER_VECTORS_DIR} + "/" + file;
}

std::vector<vector_row> load_vector_file(const std::string& file) {
  std::ifstream in{vector_path(file)};
  if (!in)
    throw std::runtime_error("cannot read vector file " + vector_path(file));
  std::vector<vector_row> rows;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#')
      continue;
    vector_row row;
    row.file = file;
    row.line = line_no;
    size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      if (tab == std::string::npos) {
        row.fields.emplace_back(line.substr(start));
        break;
      }
      row.fields.emplace_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    rows.emplace_back(std::move(row));
  }
  return rows;
}

std::optional<vector_row> find_vector_row(const std::string& file,
                                          std::string_view name,
                                          std::string_view field) {
  for (auto& row : load_vector_file(file)) {
    if (row.name() != name)
      continue;
    if (field.empty() || (row.fields.size() > 1 && row.fields[1] == field))
      return std::move(row);
  }
  return std::nullopt;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::vector<uint8_t> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0)
    throw std::invalid_argument("odd number of hex digits");
  std::vector<uint8_t> result;
  result.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto hi = hex_value(hex[i]);
    auto lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0)
      throw std::invalid_argument("not a hex digit in: " + std::string{hex});
    result.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return result;
}

std::string to_hex(const uint8_t* bytes, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  result.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    result += digits[bytes[i] >> 4];
    result += digits[bytes[i] & 0x0f];
  }
  return result;
}

std::string text_column(std::string_view column) {
  constexpr std::string_view prefix = "hex:";
  if (column.substr(0, prefix.size()) != prefix)
    return std::string{column};
  auto bytes = from_hex(column.substr(prefix.size()));
  return std::string{bytes.begin(), bytes.end()};
}

namespace {

/// Runs one test body on one row.
class row_invoker : public Catch::ITestInvoker {
public:
  row_invoker(row_test fn, vector_row row) : fn_(fn), row_(std::move(row)) {}

  void invoke() const override {
    INFO(row_.file << ":" << row_.line);
    fn_(row_);
  }

private:
  row_test fn_;
  vector_row row_;
};

/// Reports a vector file that could not be loaded.
class failing_invoker : public Catch::ITestInvoker {
public:
  explicit failing_invoker(std::string what) : what_(std::move(what)) {}

  void invoke() const override { FAIL(what_); }

private:
  std::string what_;
};

/// Catch2 keeps `StringRef`s to names and tags: keep the strings alive.
std::deque<std::string>& string_storage() {
  static std::deque<std::string> storage;
  return storage;
}

Catch::StringRef keep(std::string str) {
  auto& s = string_storage().emplace_back(std::move(str));
  return Catch::StringRef{s.c_str(), s.size()};
}

void register_one(Catch::ITestInvoker* invoker, const std::string& name,
                  const char* tags) {
  Catch::AutoReg reg{invoker, Catch::SourceLineInfo{__FILE__, __LINE__},
                     Catch::StringRef{},
                     Catch::NameAndTags{keep(name), keep(tags)}};
}

} // namespace

int register_vector_tests(const char* file, const char* tags, row_test fn,
                          bool (*filter)(const vector_row&)) {
  std::vector<vector_row> rows;
  try {
    rows = load_vector_file(file);
  } catch (const std::exception& ex) {
    register_one(new failing_invoker(ex.what()),
                 std::string{file} + "/<cannot load>", tags);
    return 1;
  }
  int num = 0;
  std::set<std::string> names;
  for (auto& row : rows) {
    if (filter && !filter(row))
      continue;
    // Rows of status.txt share their first column; the second one (the
    // field) tells them apart. The line number is the last resort.
    auto name = row.file + "/" + row.name();
    if (names.count(name) > 0 && row.fields.size() > 1)
      name += "/" + row.fields[1];
    if (names.count(name) > 0)
      name += "/line" + std::to_string(row.line);
    names.insert(name);
    register_one(new row_invoker(fn, std::move(row)), name, tags);
    ++num;
  }
  return num;
}

int register_vector_tests(const char* file, const char* tags, row_test fn) {
  return register_vector_tests(file, tags, fn, nullptr);
}

} // namespace broker::test
