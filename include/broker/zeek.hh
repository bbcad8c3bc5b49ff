#pragma once

#include "broker/data.hh"
#include "broker/time.hh"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

/// Zeek's message layer on top of Broker data (spec: upstream-broker.md §4.7):
/// every message is `[count 1, count <type>, <content>]`.
namespace broker::zeek {

/// Format version written into every message.
enum class ProtocolVersion : count {
  First = 1,
};

/// The message kinds.
enum class Type : count {
  Invalid = 0,
  Event = 1,
  LogCreate = 2,
  LogWrite = 3,
  IdentifierUpdate = 4,
  Batch = 5,
};

/// Well-known event metadata keys.
enum class MetadataType : count {
  NetworkTimestamp = 1,
  UserMetadataStart = 200,
};

/// Base class of all Zeek messages: owns the whole top-level vector.
class Message {
public:
  /// Returns the type of a top-level message, `Type::Invalid` if `msg` does
  /// not have the `[1, type, content]` layout.
  static Type type(const data& msg) noexcept;

  [[nodiscard]] Type type() const noexcept { return type(data_); }

  [[nodiscard]] const data& as_data() const noexcept { return data_; }

  [[nodiscard]] data& as_data() noexcept { return data_; }

  /// Moves the top-level value out (leaves this message empty).
  [[nodiscard]] data move_data() noexcept { return std::move(data_); }

protected:
  Message() = default;

  Message(Type type, vector content);

  explicit Message(data msg) : data_(std::move(msg)) {}

  /// Returns the content vector (field 3), or `nullptr`.
  [[nodiscard]] const vector* content() const noexcept;

  [[nodiscard]] vector* content() noexcept;

  data data_;
};

/// A Zeek event: `[name, args]` or `[name, args, metadata]`, where metadata is
/// a vector of `[count key, value]` pairs.
class Event : public Message {
public:
  /// An event without metadata (content has two fields).
  Event(std::string name, vector args);

  /// An event with network-timestamp metadata `[[1, ts]]`.
  Event(std::string name, vector args, timestamp ts);

  /// An event with the given metadata vector (content has three fields, even
  /// when `metadata` is empty).
  Event(std::string name, vector args, vector metadata);

  /// Wraps a received value; check `valid()` before using the accessors.
  explicit Event(data msg) : Message(std::move(msg)) {}

  /// @pre `valid()`
  [[nodiscard]] const std::string& name() const;

  /// @pre `valid()`
  [[nodiscard]] const vector& args() const;

  /// @pre `valid()`
  [[nodiscard]] vector& args();

  /// Returns the metadata vector, or `nullptr` if there is none.
  [[nodiscard]] const vector* metadata() const noexcept;

  /// Returns the metadata value for `key`, or `nullptr`.
  [[nodiscard]] const data* metadata_value(count key) const noexcept;

  /// Returns the network timestamp, if the metadata carries a valid one.
  [[nodiscard]] std::optional<timestamp> ts() const noexcept;

  /// Returns whether the layout is a well-formed event: `[1, 1, [string,
  /// vector(, vector of [count, value] pairs)?]]`, and a network timestamp,
  /// if present, is a timestamp.
  [[nodiscard]] bool valid() const noexcept;
};

/// `[enum stream_id, enum writer_id, writer_info, fields_data]`.
class LogCreate : public Message {
public:
  LogCreate(enum_value stream_id, enum_value writer_id, data writer_info,
            data fields_data);

  explicit LogCreate(data msg) : Message(std::move(msg)) {}

  /// @pre `valid()`
  [[nodiscard]] const enum_value& stream_id() const;
  /// @pre `valid()`
  [[nodiscard]] const enum_value& writer_id() const;
  /// @pre `valid()`
  [[nodiscard]] const data& writer_info() const;
  /// @pre `valid()`
  [[nodiscard]] const data& fields_data() const;

  [[nodiscard]] bool valid() const noexcept;
};

/// `[enum stream_id, enum writer_id, string path, string serial_data]`.
class LogWrite : public Message {
public:
  LogWrite(enum_value stream_id, enum_value writer_id, std::string path,
           std::string serial_data);

  explicit LogWrite(data msg) : Message(std::move(msg)) {}

  /// @pre `valid()`
  [[nodiscard]] const enum_value& stream_id() const;
  /// @pre `valid()`
  [[nodiscard]] const enum_value& writer_id() const;
  /// @pre `valid()`
  [[nodiscard]] const std::string& path() const;
  /// @pre `valid()`
  [[nodiscard]] const std::string& serial_data() const;

  [[nodiscard]] bool valid() const noexcept;
};

/// `[string id_name, value]`.
class IdentifierUpdate : public Message {
public:
  IdentifierUpdate(std::string id_name, data id_value);

  explicit IdentifierUpdate(data msg) : Message(std::move(msg)) {}

  /// @pre `valid()`
  [[nodiscard]] const std::string& id_name() const;
  /// @pre `valid()`
  [[nodiscard]] const data& id_value() const;

  [[nodiscard]] bool valid() const noexcept;
};

/// A vector of complete top-level messages, all of which must be valid.
class Batch : public Message {
public:
  /// An empty batch.
  Batch();

  explicit Batch(data msg) : Message(std::move(msg)) {}

  /// Appends a message (copies its top-level value).
  void add(const Message& msg);

  /// Appends a message (moves its top-level value).
  void add(Message&& msg);

  /// Returns the number of messages. @pre `valid()`
  [[nodiscard]] size_t size() const noexcept;

  /// @pre `valid()`
  [[nodiscard]] const vector& batch() const;

  [[nodiscard]] bool valid() const noexcept;
};

/// Returns whether `msg` is a valid message of any type (recursively for
/// batches).
bool valid(const data& msg) noexcept;

} // namespace broker::zeek
