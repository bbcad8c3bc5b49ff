#include "broker/message.hh"

namespace broker {

void convert(const data_message& msg, std::string& str) {
  if (!msg) {
    str = "null";
    return;
  }
  str = '(';
  str += get_topic(msg).string();
  str += ", ";
  str += to_string(get_data(msg));
  str += ')';
}

} // namespace broker
