#include "broker/zeek.hh"

#include <stdexcept>

namespace broker::zeek {

namespace {

// spec: upstream-broker.md §4.7: [count version, count type, vector content].
constexpr size_t version_index = 0;
constexpr size_t type_index = 1;
constexpr size_t content_index = 2;
constexpr size_t num_top_level_fields = 3;

// Event content: [name, args(, metadata)].
constexpr size_t event_name_index = 0;
constexpr size_t event_args_index = 1;
constexpr size_t event_metadata_index = 2;
constexpr size_t event_min_fields = 2;

// A metadata entry: [count key, value].
constexpr size_t metadata_entry_size = 2;

// LogCreate / LogWrite content: [stream_id, writer_id, x, y].
constexpr size_t log_stream_id_index = 0;
constexpr size_t log_writer_id_index = 1;
constexpr size_t log_writer_info_index = 2;
constexpr size_t log_fields_data_index = 3;
constexpr size_t log_path_index = 2;
constexpr size_t log_serial_data_index = 3;
constexpr size_t log_min_fields = 4;

// IdentifierUpdate content: [id_name, id_value].
constexpr size_t id_name_index = 0;
constexpr size_t id_value_index = 1;
constexpr size_t id_min_fields = 2;

template <class T>
bool holds(const vector& xs, size_t index) noexcept {
  return index < xs.size() && is<T>(xs[index]);
}

/// Returns the content of `msg` if it is a top-level message of type `tag`
/// (as upstream, extra top-level fields are tolerated).
const vector* content_of(const data& msg, Type tag) noexcept {
  if (Message::type(msg) != tag)
    return nullptr;
  return get_if<vector>(get<vector>(msg)[content_index]);
}

bool valid_metadata(const vector& entries) noexcept {
  for (const auto& entry : entries) {
    auto kvp = get_if<vector>(entry);
    if (!kvp || kvp->size() != metadata_entry_size)
      return false;
    auto key = get_if<count>((*kvp)[0]);
    if (!key)
      return false;
    if (*key == static_cast<count>(MetadataType::NetworkTimestamp) &&
        !is<timestamp>((*kvp)[1]))
      return false;
  }
  return true;
}

bool valid_event(const data& msg) noexcept {
  auto xs = content_of(msg, Type::Event);
  if (!xs || xs->size() < event_min_fields ||
      !holds<std::string>(*xs, event_name_index) ||
      !holds<vector>(*xs, event_args_index))
    return false;
  if (xs->size() <= event_metadata_index)
    return true;
  auto meta = get_if<vector>((*xs)[event_metadata_index]);
  return meta && valid_metadata(*meta);
}

bool valid_log_create(const data& msg) noexcept {
  auto xs = content_of(msg, Type::LogCreate);
  return xs && xs->size() >= log_min_fields &&
         holds<enum_value>(*xs, log_stream_id_index) &&
         holds<enum_value>(*xs, log_writer_id_index);
}

bool valid_log_write(const data& msg) noexcept {
  auto xs = content_of(msg, Type::LogWrite);
  return xs && xs->size() >= log_min_fields &&
         holds<enum_value>(*xs, log_stream_id_index) &&
         holds<enum_value>(*xs, log_writer_id_index) &&
         holds<std::string>(*xs, log_path_index) &&
         holds<std::string>(*xs, log_serial_data_index);
}

bool valid_identifier_update(const data& msg) noexcept {
  auto xs = content_of(msg, Type::IdentifierUpdate);
  return xs && xs->size() >= id_min_fields &&
         holds<std::string>(*xs, id_name_index);
}

bool valid_batch(const data& msg) noexcept {
  auto xs = content_of(msg, Type::Batch);
  if (!xs)
    return false;
  for (const auto& x : *xs)
    if (!valid(x))
      return false;
  return true;
}

/// Returns the content of a message for the accessors.
/// @throws std::logic_error if the message has no content vector (the
/// accessors' precondition `valid()` was violated).
template <class Vector>
Vector& checked(Vector* xs) {
  if (!xs)
    throw std::logic_error("zeek message without a content vector");
  return *xs;
}

/// Returns a vector of the values, moved in (the elements of a braced list
/// are const and would be copied, deeply).
template <class... Ts>
vector vector_of(Ts&&... xs) {
  vector result;
  result.reserve(sizeof...(Ts));
  (result.emplace_back(std::forward<Ts>(xs)), ...);
  return result;
}

vector make_metadata(timestamp ts) {
  return vector_of(
      vector_of(static_cast<count>(MetadataType::NetworkTimestamp), ts));
}

} // namespace

// -- Message ------------------------------------------------------------------

Type Message::type(const data& msg) noexcept {
  auto xs = get_if<vector>(msg);
  if (!xs || xs->size() < num_top_level_fields)
    return Type::Invalid;
  auto version = get_if<count>((*xs)[version_index]);
  auto tag = get_if<count>((*xs)[type_index]);
  if (!version || *version != static_cast<count>(ProtocolVersion::First) ||
      !tag || *tag < static_cast<count>(Type::Event) ||
      *tag > static_cast<count>(Type::Batch))
    return Type::Invalid;
  return static_cast<Type>(*tag);
}

Message::Message(Type type, vector content)
    : data_(vector_of(static_cast<count>(ProtocolVersion::First),
                      static_cast<count>(type), std::move(content))) {
  static_assert(version_index == 0 && type_index == 1 && content_index == 2 &&
                num_top_level_fields == 3);
}

const vector* Message::content() const noexcept {
  auto xs = get_if<vector>(data_);
  if (!xs || xs->size() <= content_index)
    return nullptr;
  return get_if<vector>((*xs)[content_index]);
}

vector* Message::content() noexcept {
  auto xs = get_if<vector>(data_);
  if (!xs || xs->size() <= content_index)
    return nullptr;
  return get_if<vector>((*xs)[content_index]);
}

// -- Event --------------------------------------------------------------------

Event::Event(std::string name, vector args)
    : Message(Type::Event, vector_of(std::move(name), std::move(args))) {
}

Event::Event(std::string name, vector args, timestamp ts)
    : Event(std::move(name), std::move(args), make_metadata(ts)) {
}

Event::Event(std::string name, vector args, vector metadata)
    : Message(Type::Event, vector_of(std::move(name), std::move(args),
                                     std::move(metadata))) {
}

const std::string& Event::name() const {
  return get<std::string>(checked(content()).at(event_name_index));
}

const vector& Event::args() const {
  return get<vector>(checked(content()).at(event_args_index));
}

vector& Event::args() {
  return get<vector>(checked(content()).at(event_args_index));
}

const vector* Event::metadata() const noexcept {
  auto xs = content();
  if (!xs || xs->size() <= event_metadata_index)
    return nullptr;
  return get_if<vector>((*xs)[event_metadata_index]);
}

const data* Event::metadata_value(count key) const noexcept {
  auto entries = metadata();
  if (!entries)
    return nullptr;
  for (const auto& entry : *entries) {
    auto kvp = get_if<vector>(entry);
    if (!kvp || kvp->size() != metadata_entry_size)
      continue;
    if (auto k = get_if<count>((*kvp)[0]); k && *k == key)
      return &(*kvp)[1];
  }
  return nullptr;
}

std::optional<timestamp> Event::ts() const noexcept {
  auto value =
      metadata_value(static_cast<count>(MetadataType::NetworkTimestamp));
  if (auto ts = value ? get_if<timestamp>(*value) : nullptr)
    return *ts;
  return std::nullopt;
}

bool Event::valid() const noexcept {
  return valid_event(data_);
}

// -- LogCreate ----------------------------------------------------------------

LogCreate::LogCreate(enum_value stream_id, enum_value writer_id,
                     data writer_info, data fields_data)
    : Message(Type::LogCreate,
              vector_of(std::move(stream_id), std::move(writer_id),
                        std::move(writer_info), std::move(fields_data))) {
}

const enum_value& LogCreate::stream_id() const {
  return get<enum_value>(checked(content()).at(log_stream_id_index));
}

const enum_value& LogCreate::writer_id() const {
  return get<enum_value>(checked(content()).at(log_writer_id_index));
}

const data& LogCreate::writer_info() const {
  return checked(content()).at(log_writer_info_index);
}

const data& LogCreate::fields_data() const {
  return checked(content()).at(log_fields_data_index);
}

bool LogCreate::valid() const noexcept {
  return valid_log_create(data_);
}

// -- LogWrite -----------------------------------------------------------------

LogWrite::LogWrite(enum_value stream_id, enum_value writer_id, std::string path,
                   std::string serial_data)
    : Message(Type::LogWrite,
              vector_of(std::move(stream_id), std::move(writer_id),
                        std::move(path), std::move(serial_data))) {
}

const enum_value& LogWrite::stream_id() const {
  return get<enum_value>(checked(content()).at(log_stream_id_index));
}

const enum_value& LogWrite::writer_id() const {
  return get<enum_value>(checked(content()).at(log_writer_id_index));
}

const std::string& LogWrite::path() const {
  return get<std::string>(checked(content()).at(log_path_index));
}

const std::string& LogWrite::serial_data() const {
  return get<std::string>(checked(content()).at(log_serial_data_index));
}

bool LogWrite::valid() const noexcept {
  return valid_log_write(data_);
}

// -- IdentifierUpdate ---------------------------------------------------------

IdentifierUpdate::IdentifierUpdate(std::string id_name, data id_value)
    : Message(Type::IdentifierUpdate,
              vector_of(std::move(id_name), std::move(id_value))) {
}

const std::string& IdentifierUpdate::id_name() const {
  return get<std::string>(checked(content()).at(id_name_index));
}

const data& IdentifierUpdate::id_value() const {
  return checked(content()).at(id_value_index);
}

bool IdentifierUpdate::valid() const noexcept {
  return valid_identifier_update(data_);
}

// -- Batch --------------------------------------------------------------------

Batch::Batch() : Message(Type::Batch, vector{}) {
}

void Batch::add(const Message& msg) {
  checked(content()).emplace_back(msg.as_data());
}

void Batch::add(Message&& msg) {
  checked(content()).emplace_back(msg.move_data());
}

size_t Batch::size() const noexcept {
  auto xs = content();
  return xs ? xs->size() : 0;
}

const vector& Batch::batch() const {
  return checked(content());
}

bool Batch::valid() const noexcept {
  return valid_batch(data_);
}

// -- free functions -----------------------------------------------------------

bool valid(const data& msg) noexcept {
  switch (Message::type(msg)) {
  case Type::Event:
    return valid_event(msg);
  case Type::LogCreate:
    return valid_log_create(msg);
  case Type::LogWrite:
    return valid_log_write(msg);
  case Type::IdentifierUpdate:
    return valid_identifier_update(msg);
  case Type::Batch:
    return valid_batch(msg);
  default:
    return false;
  }
}

} // namespace broker::zeek
