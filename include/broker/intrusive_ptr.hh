#pragma once

#include <cstddef>
#include <utility>

namespace broker {

/// A smart pointer to an object that counts its own references through the
/// free functions `intrusive_ptr_add_ref(T*)` and `intrusive_ptr_release(T*)`
/// (found by argument-dependent lookup), as upstream Broker's.
///
/// Thread safety: like `std::shared_ptr`: distinct pointers to one object may
/// be used concurrently if the object's counting is thread-safe.
template <class T>
class intrusive_ptr {
public:
  /// The pointee type.
  using element_type = T;

  /// Constructs a null pointer.
  constexpr intrusive_ptr() noexcept = default;

  /// Constructs a null pointer.
  constexpr intrusive_ptr(std::nullptr_t) noexcept {}

  /// Points to `ptr`, adding a reference unless `add_ref` is false (then the
  /// pointer adopts one the caller owned).
  intrusive_ptr(T* ptr, bool add_ref = true) noexcept : ptr_(ptr) {
    if (ptr_ && add_ref)
      intrusive_ptr_add_ref(ptr_);
  }

  /// Points to `other`'s object, adding a reference.
  intrusive_ptr(const intrusive_ptr& other) noexcept : ptr_(other.ptr_) {
    if (ptr_)
      intrusive_ptr_add_ref(ptr_);
  }

  /// Takes over `other`'s reference; `other` becomes null.
  intrusive_ptr(intrusive_ptr&& other) noexcept : ptr_(other.ptr_) {
    other.ptr_ = nullptr;
  }

  /// Points to `other`'s object, adding a reference; drops the old one.
  intrusive_ptr& operator=(const intrusive_ptr& other) noexcept {
    intrusive_ptr tmp{other};
    swap(tmp);
    return *this;
  }

  /// Takes over `other`'s reference (`other` becomes null); drops the old
  /// one.
  intrusive_ptr& operator=(intrusive_ptr&& other) noexcept {
    intrusive_ptr tmp{std::move(other)};
    swap(tmp);
    return *this;
  }

  /// Drops the reference (if any).
  ~intrusive_ptr() {
    if (ptr_)
      intrusive_ptr_release(ptr_);
  }

  /// Drops the reference (if any).
  void reset() noexcept {
    intrusive_ptr tmp;
    swap(tmp);
  }

  /// Gives up the reference without dropping it; returns the pointer.
  T* release() noexcept { return std::exchange(ptr_, nullptr); }

  /// Exchanges the pointers (no reference count changes).
  void swap(intrusive_ptr& other) noexcept { std::swap(ptr_, other.ptr_); }

  /// Returns the raw pointer (may be null).
  [[nodiscard]] T* get() const noexcept { return ptr_; }

  /// Returns the pointee. @pre `get() != nullptr`
  T& operator*() const noexcept { return *ptr_; }

  /// Accesses the pointee. @pre `get() != nullptr`
  T* operator->() const noexcept { return ptr_; }

  /// Returns whether the pointer is not null.
  explicit operator bool() const noexcept { return ptr_ != nullptr; }

  /// Returns whether both point to the same object (or are null).
  friend bool operator==(const intrusive_ptr& x, const intrusive_ptr& y) {
    return x.ptr_ == y.ptr_;
  }

  /// Returns whether they point to different objects.
  friend bool operator!=(const intrusive_ptr& x, const intrusive_ptr& y) {
    return x.ptr_ != y.ptr_;
  }

  /// Returns whether `x` is null.
  friend bool operator==(const intrusive_ptr& x, std::nullptr_t) {
    return x.ptr_ == nullptr;
  }

  /// Returns whether `x` is not null.
  friend bool operator!=(const intrusive_ptr& x, std::nullptr_t) {
    return x.ptr_ != nullptr;
  }

private:
  T* ptr_ = nullptr;
};

} // namespace broker
