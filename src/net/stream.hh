#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace broker::net {

/// Bytes read from or written to a stream.
using byte_buffer = std::vector<uint8_t>;

/// Receives the events of one stream. All callbacks run on an I/O thread,
/// one at a time, and must not block.
class stream_handler {
public:
  virtual ~stream_handler();

  /// Bytes arrived: the first `size` bytes of `chunk` (whose own size stays
  /// `stream::chunk_size`, so reusing it never re-zeroes memory). The handler
  /// owns `chunk` and should hand it back with `stream::release` once
  /// processed: the stream stops reading while `max_unreleased_chunks` chunks
  /// are outstanding (back-pressure to TCP).
  virtual void on_data(byte_buffer chunk, size_t size) = 0;

  /// Queued writes completed: `bytes` bytes left our buffers since the
  /// previous call.
  virtual void on_sent(size_t bytes) = 0;

  /// The stream is closed: by the remote side (`reason` is
  /// `std::errc::connection_reset`-like or end-of-file), by an error, or by
  /// our own `close`/`abort` (`reason` is empty). Called exactly once, last.
  virtual void on_closed(const std::error_code& reason) = 0;
};

/// One connected, full-duplex byte stream (plain TCP or TLS over TCP; both
/// are `socket_stream` in net/socket_stream.hh).
///
/// Thread safety: every member function may be called from any thread; the
/// work happens on the I/O thread (at once when called there, else queued
/// to it), so calls from one thread keep their order. None blocks, and
/// handler callbacks never run inside a call, except `on_closed`: called on
/// the I/O thread, `abort` (and `start` of a stream that is already
/// closed) reports it before returning. Calls after `close`/`abort` are
/// no-ops.
class stream : public std::enable_shared_from_this<stream> {
public:
  /// Bytes per read.
  static constexpr size_t chunk_size = 64 * 1024;

  /// Chunks a handler may hold before the stream stops reading.
  static constexpr size_t max_unreleased_chunks = 4;

  virtual ~stream();

  /// Starts reading and delivering events to `handler`. Returns immediately.
  /// Call exactly once.
  virtual void start(std::shared_ptr<stream_handler> handler) = 0;

  /// Queues `bytes` for sending. Returns immediately; `on_sent` reports
  /// progress. Consecutive writes are gathered into one system call.
  virtual void write(byte_buffer bytes) = 0;

  /// Hands a chunk from `on_data` back (its memory is reused for reading)
  /// and resumes reading if the stream had paused. Returns immediately.
  virtual void release(byte_buffer chunk) = 0;

  /// Graceful close: sends what is queued, shuts down the sending side,
  /// discards input until the peer closes (at most `linger` later), then
  /// closes. Returns immediately; `on_closed` reports the end. Idempotent.
  virtual void close() = 0;

  /// Closes now, dropping queued writes, with a reset (RST) so that the
  /// peer learns at once even if it does not read. Returns immediately;
  /// `on_closed` reports the end. Idempotent.
  virtual void abort() = 0;

  /// The remote address as text (IPv4-mapped addresses of dual-stack
  /// sockets keep their `::ffff:` form, as upstream reports them).
  [[nodiscard]] virtual const std::string& remote_address() const = 0;

  [[nodiscard]] virtual uint16_t remote_port() const = 0;
};

} // namespace broker::net
