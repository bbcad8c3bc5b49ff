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
  /// Version 1, the only one.
  First = 1,
};

/// The message kinds.
enum class Type : count {
  /// Not a Zeek message (`Message::type` of a bad layout).
  Invalid = 0,
  /// An event (`Event`).
  Event = 1,
  /// Creates a log writer (`LogCreate`).
  LogCreate = 2,
  /// Writes log entries (`LogWrite`).
  LogWrite = 3,
  /// Sets a global identifier (`IdentifierUpdate`).
  IdentifierUpdate = 4,
  /// Several messages in one (`Batch`).
  Batch = 5,
};

/// Well-known event metadata keys.
enum class MetadataType : count {
  /// The network time of the event (a `timestamp`).
  NetworkTimestamp = 1,
  /// The first key for user-defined metadata.
  UserMetadataStart = 200,
};

/// Base class of all Zeek messages: owns the whole top-level vector.
///
/// Accessors marked `@pre valid()` throw `std::logic_error`,
/// `std::out_of_range` or `std::bad_variant_access` if it does not hold.
class Message {
public:
  /// Returns the type of a top-level message, `Type::Invalid` if `msg` does
  /// not have the `[1, type, content]` layout.
  static Type type(const data& msg) noexcept;

  /// Returns the type of this message (`Type::Invalid` for a bad layout).
  [[nodiscard]] Type type() const noexcept { return type(data_); }

  /// Returns the top-level value.
  [[nodiscard]] const data& as_data() const noexcept { return data_; }

  /// Returns the top-level value (mutable).
  [[nodiscard]] data& as_data() noexcept { return data_; }

  /// Moves the top-level value out (leaves this message empty).
  [[nodiscard]] data move_data() noexcept { return std::move(data_); }

protected:
  /// Constructs a message holding `nil`.
  Message() = default;

  /// Constructs `[1, type, content]`.
  Message(Type type, vector content);

  /// Wraps a top-level value as it is (not validated).
  explicit Message(data msg) : data_(std::move(msg)) {}

  /// Returns the content vector (field 3), or `nullptr`.
  [[nodiscard]] const vector* content() const noexcept;

  /// Returns the content vector (field 3), or `nullptr` (mutable).
  [[nodiscard]] vector* content() noexcept;

  /// The top-level value `[1, type, content]`.
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

  /// Returns the event name.
  /// @pre `valid()`
  [[nodiscard]] const std::string& name() const;

  /// Returns the arguments.
  /// @pre `valid()`
  [[nodiscard]] const vector& args() const;

  /// Returns the arguments (mutable).
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
  /// Constructs `[1, 2, [stream_id, writer_id, writer_info, fields_data]]`.
  LogCreate(enum_value stream_id, enum_value writer_id, data writer_info,
            data fields_data);

  /// Wraps a received value; check `valid()` before using the accessors.
  explicit LogCreate(data msg) : Message(std::move(msg)) {}

  /// Returns the log stream ID (e.g. `Conn::LOG`).
  /// @pre `valid()`
  [[nodiscard]] const enum_value& stream_id() const;
  /// Returns the writer ID (e.g. `Log::WRITER_ASCII`).
  /// @pre `valid()`
  [[nodiscard]] const enum_value& writer_id() const;
  /// Returns the writer information.
  /// @pre `valid()`
  [[nodiscard]] const data& writer_info() const;
  /// Returns the description of the log's fields.
  /// @pre `valid()`
  [[nodiscard]] const data& fields_data() const;

  /// Returns whether the layout is `[1, 2, [enum, enum, value, value, ...]]`.
  [[nodiscard]] bool valid() const noexcept;
};

/// `[enum stream_id, enum writer_id, string path, string serial_data]`.
class LogWrite : public Message {
public:
  /// Constructs `[1, 3, [stream_id, writer_id, path, serial_data]]`.
  LogWrite(enum_value stream_id, enum_value writer_id, std::string path,
           std::string serial_data);

  /// Wraps a received value; check `valid()` before using the accessors.
  explicit LogWrite(data msg) : Message(std::move(msg)) {}

  /// Returns the log stream ID (e.g. `Conn::LOG`).
  /// @pre `valid()`
  [[nodiscard]] const enum_value& stream_id() const;
  /// Returns the writer ID (e.g. `Log::WRITER_ASCII`).
  /// @pre `valid()`
  [[nodiscard]] const enum_value& writer_id() const;
  /// Returns the path of the log.
  /// @pre `valid()`
  [[nodiscard]] const std::string& path() const;
  /// Returns the log entries as Zeek serialised them (opaque to Broker).
  /// @pre `valid()`
  [[nodiscard]] const std::string& serial_data() const;

  /// Returns whether the layout is `[1, 3, [enum, enum, string, string, ...]]`.
  [[nodiscard]] bool valid() const noexcept;
};

/// `[string id_name, value]`.
class IdentifierUpdate : public Message {
public:
  /// Constructs `[1, 4, [id_name, id_value]]`.
  IdentifierUpdate(std::string id_name, data id_value);

  /// Wraps a received value; check `valid()` before using the accessors.
  explicit IdentifierUpdate(data msg) : Message(std::move(msg)) {}

  /// Returns the identifier's name.
  /// @pre `valid()`
  [[nodiscard]] const std::string& id_name() const;
  /// Returns the identifier's new value.
  /// @pre `valid()`
  [[nodiscard]] const data& id_value() const;

  /// Returns whether the layout is `[1, 4, [string, value, ...]]`.
  [[nodiscard]] bool valid() const noexcept;
};

/// A vector of complete top-level messages, all of which must be valid.
class Batch : public Message {
public:
  /// An empty batch.
  Batch();

  /// Wraps a received value; check `valid()` before using the accessors.
  explicit Batch(data msg) : Message(std::move(msg)) {}

  /// Appends a message (copies its top-level value).
  /// @throws std::logic_error if this batch has no content vector.
  void add(const Message& msg);

  /// Appends a message (moves its top-level value).
  /// @throws std::logic_error if this batch has no content vector.
  void add(Message&& msg);

  /// Returns the number of messages. @pre `valid()`
  [[nodiscard]] size_t size() const noexcept;

  /// Returns the messages.
  /// @pre `valid()`
  [[nodiscard]] const vector& batch() const;

  /// Returns whether the layout is `[1, 5, [...]]` and every element is a
  /// valid message (see `zeek::valid`).
  [[nodiscard]] bool valid() const noexcept;
};

/// Returns whether `msg` is a valid message of any type (recursively for
/// batches).
bool valid(const data& msg) noexcept;

} // namespace broker::zeek
