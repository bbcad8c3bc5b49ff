#pragma once

#include "broker/topic.hh"

#include <vector>

namespace broker {

/// A subscription filter: a sorted list of topic prefixes.
using filter_type = std::vector<topic>;

/// Adds `x` to `f` with upstream's minimisation rule (spec:
/// upstream-broker.md §3.2): no-op if an entry equals or is a prefix of `x`;
/// entries that `x` is a prefix of are replaced by `x`; `f` stays sorted.
/// @returns whether `f` changed.
bool filter_extend(filter_type& f, const topic& x);

/// Adds every topic of `xs` to `f` (see the single-topic overload).
/// @returns whether `f` changed.
bool filter_extend(filter_type& f, const filter_type& xs);

/// Returns whether any entry of `f` is a prefix of `t`.
bool filter_matches(const filter_type& f, const topic& t) noexcept;

} // namespace broker
