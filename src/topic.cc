#include "broker/topic.hh"

#include <ostream>

namespace broker {

namespace {

void strip_trailing_separators(std::string& str) {
  while (!str.empty() && str.back() == topic::sep)
    str.pop_back();
}

} // namespace

std::vector<std::string> topic::split(const topic& t) {
  std::vector<std::string> result;
  const auto& str = t.str_;
  size_t first = 0;
  while (first < str.size()) {
    auto last = str.find(sep, first);
    if (last == std::string::npos)
      last = str.size();
    if (last > first)
      result.emplace_back(str, first, last - first);
    first = last + 1;
  }
  return result;
}

topic topic::join(const std::vector<std::string>& components) {
  topic result;
  for (const auto& component : components)
    result /= topic{component};
  return result;
}

topic& topic::operator/=(const topic& rhs) {
  // spec: upstream-broker.md §3.1: joining collapses duplicate separators
  // and strips a trailing one.
  if (!rhs.str_.empty()) {
    if (str_.empty()) {
      str_ = rhs.str_;
    } else {
      strip_trailing_separators(str_);
      str_ += sep;
      auto first = rhs.str_.find_first_not_of(sep);
      if (first != std::string::npos)
        str_.append(rhs.str_, first, std::string::npos);
    }
  }
  strip_trailing_separators(str_);
  return *this;
}

std::string_view topic::suffix() const noexcept {
  auto pos = str_.rfind(sep);
  std::string_view view{str_};
  return pos == std::string::npos ? view : view.substr(pos + 1);
}

bool is_internal(const topic& t) noexcept {
  const auto& str = t.string();
  return str.compare(0, topic::local_prefix.size(), topic::local_prefix) == 0;
}

topic operator/(const topic& lhs, const topic& rhs) {
  topic result{lhs};
  result /= rhs;
  return result;
}

std::ostream& operator<<(std::ostream& out, const topic& x) {
  return out << x.string();
}

} // namespace broker
