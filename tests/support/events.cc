#include "support/events.hh"

#include "broker/zeek.hh"

namespace broker::test {

data numbered_event(uint64_t n, const std::string& payload) {
  vector args;
  args.reserve(2);
  args.emplace_back(count{n});
  args.emplace_back(payload);
  return zeek::Event{"bench", std::move(args)}.move_data();
}

std::optional<uint64_t> event_number(const data& x) {
  auto msg = get_if<vector>(&x);
  if (!msg || msg->size() != 3)
    return std::nullopt;
  auto content = get_if<vector>(&(*msg)[2]);
  if (!content || content->size() < 2)
    return std::nullopt;
  auto args = get_if<vector>(&(*content)[1]);
  if (!args || args->empty())
    return std::nullopt;
  if (auto n = get_if<count>(&(*args)[0]))
    return *n;
  return std::nullopt;
}

std::optional<uint64_t> event_number(const data_view& x) {
  // The layout of the `data` overload: [1, 1, [name, [n, payload]]].
  auto msg = x.as_vector();
  if (!msg || msg->size() != 3)
    return std::nullopt;
  auto content = (*msg)[2].as_vector();
  if (!content || content->size() < 2)
    return std::nullopt;
  auto args = (*content)[1].as_vector();
  if (!args || args->empty())
    return std::nullopt;
  return (*args->begin()).as_count();
}

} // namespace broker::test
