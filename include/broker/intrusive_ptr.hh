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
  using element_type = T;

  constexpr intrusive_ptr() noexcept = default;

  constexpr intrusive_ptr(std::nullptr_t) noexcept {}

  /// Points to `ptr`, adding a reference unless `add_ref` is false (then the
  /// pointer adopts one the caller owned).
  intrusive_ptr(T* ptr, bool add_ref = true) noexcept : ptr_(ptr) {
    if (ptr_ && add_ref)
      intrusive_ptr_add_ref(ptr_);
  }

  intrusive_ptr(const intrusive_ptr& other) noexcept : ptr_(other.ptr_) {
    if (ptr_)
      intrusive_ptr_add_ref(ptr_);
  }

  intrusive_ptr(intrusive_ptr&& other) noexcept : ptr_(other.ptr_) {
    other.ptr_ = nullptr;
  }

  intrusive_ptr& operator=(const intrusive_ptr& other) noexcept {
    intrusive_ptr tmp{other};
    swap(tmp);
    return *this;
  }

  intrusive_ptr& operator=(intrusive_ptr&& other) noexcept {
    intrusive_ptr tmp{std::move(other)};
    swap(tmp);
    return *this;
  }

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

  void swap(intrusive_ptr& other) noexcept { std::swap(ptr_, other.ptr_); }

  [[nodiscard]] T* get() const noexcept { return ptr_; }

  T& operator*() const noexcept { return *ptr_; }

  T* operator->() const noexcept { return ptr_; }

  explicit operator bool() const noexcept { return ptr_ != nullptr; }

  friend bool operator==(const intrusive_ptr& x, const intrusive_ptr& y) {
    return x.ptr_ == y.ptr_;
  }

  friend bool operator!=(const intrusive_ptr& x, const intrusive_ptr& y) {
    return x.ptr_ != y.ptr_;
  }

  friend bool operator==(const intrusive_ptr& x, std::nullptr_t) {
    return x.ptr_ == nullptr;
  }

  friend bool operator!=(const intrusive_ptr& x, std::nullptr_t) {
    return x.ptr_ != nullptr;
  }

private:
  T* ptr_ = nullptr;
};

} // namespace broker
