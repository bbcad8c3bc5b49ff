#include "broker/filter_type.hh"

#include <algorithm>

namespace broker {

// Filters are short (one entry per subscription prefix) and may come from a
// peer that did not sort them, so the scans below are linear and do not rely
// on the order; only the insert position does.

bool filter_extend(filter_type& f, const topic& x) {
  // spec: upstream-broker.md §3.2: no-op if an entry equals or is a prefix
  // of `x`; entries that `x` is a prefix of are replaced by `x`.
  auto is_prefix_of_x = [&x](const topic& entry) { return entry.prefix_of(x); };
  if (std::any_of(f.begin(), f.end(), is_prefix_of_x))
    return false;
  auto has_prefix_x = [&x](const topic& entry) { return x.prefix_of(entry); };
  f.erase(std::remove_if(f.begin(), f.end(), has_prefix_x), f.end());
  f.insert(std::lower_bound(f.begin(), f.end(), x), x);
  return true;
}

bool filter_extend(filter_type& f, const filter_type& xs) {
  bool changed = false;
  for (const auto& x : xs)
    changed = filter_extend(f, x) || changed;
  return changed;
}

bool filter_matches(const filter_type& f, const topic& t) noexcept {
  return std::any_of(f.begin(), f.end(),
                     [&t](const topic& entry) { return entry.prefix_of(t); });
}

} // namespace broker
