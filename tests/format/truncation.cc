#include "format/truncation.hh"

#include <stdexcept>

namespace broker::test {

namespace {

/// Prefix of every reason but the one for empty input.
constexpr const char* parse_failure = "failed to parse data: ";

/// The whole reason for empty input.
constexpr const char* empty_input =
    "cannot parse null data: empty input at offset 0";

/// Each table entry needs at least a key tag and a value tag.
constexpr size_t min_table_entry_size = 2;

/// A varbyte holds 7 bits per byte (spec: §4.2).
constexpr unsigned varbyte_bits = 7;
constexpr uint8_t varbyte_continue = 0x80;
constexpr uint8_t varbyte_payload = 0x7f;

/// Walks the value at `pos_` of `full_` as the decoder reads it; the first
/// field that does not fit before `cut_` yields the error.
class walker {
public:
  walker(const std::vector<uint8_t>& full, size_t cut)
      : full_(full), cut_(cut) {}

  std::string run() {
    if (cut_ >= full_.size())
      throw std::invalid_argument("cut is not inside the encoding");
    if (cut_ == 0)
      return empty_input;
    if (value())
      throw std::invalid_argument("the prefix holds a complete value");
    return error_;
  }

private:
  /// Returns whether the value at `pos_` ends before the cut.
  bool value() {
    if (pos_ >= cut_)
      return fail_end(pos_, "type tag");
    auto tag = full_.at(pos_++);
    switch (tag) {
    case 0: // none
      return true;
    case 1:
      return fixed(1, "boolean");
    case 2:
      return fixed(8, "count");
    case 3:
      return fixed(8, "integer");
    case 4:
      return fixed(8, "real");
    case 5:
      return string("string");
    case 6:
      return fixed(16, "address");
    case 7: // address, then the prefix length
      return fixed(16, "subnet") && fixed(1, "subnet length");
    case 8: // u16 number, then u8 protocol
      return fixed(2, "port number") && fixed(1, "port protocol");
    case 9:
      return fixed(8, "timestamp");
    case 10:
      return fixed(8, "timespan");
    case 11:
      return string("enum_value");
    case 12: // set
    case 14: // vector
      return elements(1, 1);
    case 13: // table: key, value
      return elements(min_table_entry_size, 2);
    default:
      throw std::invalid_argument("unknown tag " + std::to_string(tag));
    }
  }

  bool fail_end(size_t offset, const std::string& what) {
    error_ = std::string{parse_failure} + "unexpected end of input reading " +
             what + " at offset " + std::to_string(offset);
    return false;
  }

  bool fail_exceeds(const std::string& what, uint64_t claimed) {
    error_ = std::string{parse_failure} + what + " " + std::to_string(claimed) +
             " exceeds remaining " + std::to_string(cut_ - pos_) +
             " bytes at offset " + std::to_string(pos_);
    return false;
  }

  bool fixed(size_t size, const char* what) {
    if (pos_ + size > cut_)
      return fail_end(pos_, what);
    pos_ += size;
    return true;
  }

  /// Reads the varbyte at `pos_`; a cut inside it is the end of input.
  bool varbyte(uint64_t& x, const char* what) {
    auto start = pos_;
    size_t len = 0;
    x = 0;
    uint8_t byte = 0;
    do {
      byte = full_.at(start + len);
      x |= static_cast<uint64_t>(byte & varbyte_payload)
           << (varbyte_bits * len);
      ++len;
    } while ((byte & varbyte_continue) != 0);
    if (start + len > cut_)
      return fail_end(start, what);
    pos_ += len;
    return true;
  }

  bool string(const char* what) {
    uint64_t len = 0;
    if (!varbyte(len, what))
      return false;
    if (len > cut_ - pos_)
      return fail_exceeds(std::string{what} + " length", len);
    pos_ += len;
    return true;
  }

  /// A container: size, then `values_per_element` values per element.
  bool elements(size_t min_element_size, size_t values_per_element) {
    uint64_t n = 0;
    if (!varbyte(n, "container size"))
      return false;
    if (n * min_element_size > cut_ - pos_)
      return fail_exceeds("container size", n);
    for (uint64_t i = 0; i < n * values_per_element; ++i)
      if (!value())
        return false;
    return true;
  }

  const std::vector<uint8_t>& full_;
  size_t cut_;
  size_t pos_ = 0;
  std::string error_;
};

} // namespace

std::string truncated_data_error(const std::vector<uint8_t>& full, size_t cut) {
  return walker{full, cut}.run();
}

} // namespace broker::test
