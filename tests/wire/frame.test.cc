#include "wire/frame.hh"

#include "wire_test_util.hh"

#include <catch2/catch.hpp>

#include <random>

using namespace broker;
using namespace broker::wire;
using namespace broker::test;
using namespace broker::test::wire;

namespace {

const char* transcript_files[] = {
    "handshake-a.txt", "handshake-b.txt", "handshake-c.txt", "handshake-d.txt",
    "handshake-e.txt", "handshake-f.txt", "handshake-g.txt",
};

/// All frames of a transcript, both directions, as one byte stream.
struct stream_fixture {
  byte_buffer stream;
  std::vector<std::string> frames; // hex, length prefix included

  explicit stream_fixture(const std::string& file) {
    for (auto& frame : load_transcript(file)) {
      stream.insert(stream.end(), frame.bytes.begin(), frame.bytes.end());
      frames.push_back(hex(frame.bytes));
    }
  }
};

/// Feeds `stream` to `reader` in chunks of the sizes `next_chunk` returns and
/// collects the frames (re-framed, as hex).
template <class NextChunk>
std::vector<std::string> feed_in_chunks(frame_reader& reader,
                                        const byte_buffer& stream,
                                        NextChunk next_chunk) {
  std::vector<std::string> result;
  std::string error;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t n = std::min(next_chunk(), stream.size() - pos);
    auto ok = reader.feed(
        byte_span{stream.data() + pos, n},
        [&](byte_span payload) {
          byte_buffer frame;
          write_frame(payload, frame);
          result.push_back(hex(frame));
        },
        error);
    REQUIRE(ok);
    pos += n;
  }
  CHECK(reader.buffered() == 0);
  return result;
}

byte_buffer bytes_of(std::string_view hex_str) {
  return from_hex(hex_str);
}

} // namespace

TEST_CASE("write_frame prepends a big-endian length", "[wire][frame]") {
  byte_buffer out{0xaa};
  auto payload = bytes_of("0102030405");
  write_frame(payload, out);
  CHECK(hex(out) == "aa000000050102030405");
  write_frame(byte_span{}, out);
  CHECK(hex(out) == "aa00000005010203040500000000");
}

TEST_CASE("begin_frame/end_frame patch the length in place", "[wire][frame]") {
  byte_buffer out{0xaa, 0xbb};
  auto start = begin_frame(out);
  CHECK(start == 2);
  CHECK(out.size() == 2 + frame_header_size);
  for (int i = 0; i < 300; ++i)
    out.push_back(static_cast<uint8_t>(i));
  end_frame(out, start);
  CHECK(hex(byte_span{out.data(), 6}) == "aabb0000012c");
  auto empty_start = begin_frame(out);
  end_frame(out, empty_start);
  CHECK(hex(byte_span{out.data() + empty_start, 4}) == "00000000");
}

TEST_CASE("frame_reader splits transcripts fed at once, byte by byte and in "
          "random chunks",
          "[wire][frame]") {
  std::mt19937 rng{4711};
  for (auto file : transcript_files) {
    INFO(file);
    stream_fixture fx{file};
    {
      frame_reader reader;
      CHECK(feed_in_chunks(reader, fx.stream,
                           [&] { return fx.stream.size(); }) == fx.frames);
    }
    {
      frame_reader reader;
      CHECK(feed_in_chunks(reader, fx.stream, [] { return size_t{1}; }) ==
            fx.frames);
    }
    for (int round = 0; round < 200; ++round) {
      frame_reader reader;
      std::uniform_int_distribution<size_t> dist{1, 80};
      CHECK(feed_in_chunks(reader, fx.stream, [&] { return dist(rng); }) ==
            fx.frames);
    }
  }
}

TEST_CASE("frame_reader delivers frames inside a chunk without copying",
          "[wire][frame]") {
  auto stream = bytes_of("00000002abcd00000001ef000000");
  frame_reader reader;
  std::vector<const uint8_t*> positions;
  std::string error;
  REQUIRE(reader.feed(
      stream, [&](byte_span payload) { positions.push_back(payload.data); },
      error));
  REQUIRE(positions.size() == 2);
  CHECK(positions[0] == stream.data() + 4);
  CHECK(positions[1] == stream.data() + 10);
  // The incomplete trailing header is all that is kept.
  CHECK(reader.buffered() == 3);
  std::vector<std::string> rest;
  REQUIRE(reader.feed(
      bytes_of("0311223344"),
      [&](byte_span payload) { rest.push_back(hex(payload)); }, error));
  CHECK(rest == std::vector<std::string>{"112233"});
  CHECK(reader.buffered() == 1);
}

TEST_CASE("frame_reader rejects an oversized length prefix before "
          "allocating",
          "[wire][frame]") {
  std::string error;
  auto never = [](byte_span) { FAIL("no frame expected"); };
  SECTION("default maximum, whole header at once") {
    frame_reader reader;
    CHECK(!reader.feed(bytes_of("ffffffff"), never, error));
    CHECK(error == "frame of 4294967295 bytes exceeds broker.max-frame-size "
                   "(16777216)");
    CHECK(reader.buffered() == 0);
    CHECK(reader.failed());
  }
  SECTION("header split over several feeds") {
    frame_reader reader;
    CHECK(reader.feed(bytes_of("01"), never, error));
    CHECK(reader.feed(bytes_of("0000"), never, error));
    CHECK(reader.buffered() == 3);
    CHECK(!reader.feed(bytes_of("01"), never, error));
    CHECK(error == "frame of 16777217 bytes exceeds broker.max-frame-size "
                   "(16777216)");
    CHECK(reader.buffered() <= frame_header_size);
  }
  SECTION("configured maximum: equal is fine, one more is not") {
    frame_reader reader{3};
    CHECK(reader.max_frame_size() == 3);
    int frames = 0;
    CHECK(reader.feed(
        bytes_of("00000003aabbcc"), [&](byte_span) { ++frames; }, error));
    CHECK(frames == 1);
    CHECK(!reader.feed(bytes_of("00000004aabbccdd"), never, error));
    CHECK(error == "frame of 4 bytes exceeds broker.max-frame-size (3)");
  }
  SECTION("the error is sticky until reset") {
    frame_reader reader;
    CHECK(!reader.feed(bytes_of("ffffffff"), never, error));
    error.clear();
    CHECK(!reader.feed(bytes_of("00000001aa"), never, error));
    CHECK(error.find("exceeds") != std::string::npos);
    reader.reset();
    CHECK(!reader.failed());
    int frames = 0;
    CHECK(reader.feed(
        bytes_of("00000001aa"), [&](byte_span) { ++frames; }, error));
    CHECK(frames == 1);
  }
  SECTION("an oversized frame behind valid ones fails after delivering "
          "them") {
    frame_reader reader{8};
    int frames = 0;
    CHECK(!reader.feed(
        bytes_of("00000001aa00000009"), [&](byte_span) { ++frames; }, error));
    CHECK(frames == 1);
    CHECK(error == "frame of 9 bytes exceeds broker.max-frame-size (8)");
  }
}

TEST_CASE("frame_reader treats empty frames per mode", "[wire][frame]") {
  std::string error;
  SECTION("handshake: an empty frame is an error") {
    frame_reader reader;
    std::vector<std::string> frames;
    CHECK(!reader.feed(
        bytes_of("00000001aa00000000"),
        [&](byte_span payload) { frames.push_back(hex(payload)); }, error));
    CHECK(frames == std::vector<std::string>{"aa"});
    CHECK(error == "empty frame (length prefix 0) during the handshake");
  }
  SECTION("handshake: also when the empty header arrives byte by byte") {
    frame_reader reader;
    auto never = [](byte_span) { FAIL("no frame expected"); };
    CHECK(reader.feed(bytes_of("00"), never, error));
    CHECK(reader.feed(bytes_of("00"), never, error));
    CHECK(reader.feed(bytes_of("00"), never, error));
    CHECK(!reader.feed(bytes_of("00"), never, error));
  }
  SECTION("phase 3: empty frames are skipped") {
    frame_reader reader;
    reader.allow_empty_frames(true);
    std::vector<std::string> frames;
    auto collect = [&](byte_span payload) { frames.push_back(hex(payload)); };
    CHECK(
        reader.feed(bytes_of("0000000000000001aa0000000000"), collect, error));
    CHECK(reader.feed(bytes_of("0000"), collect, error));
    CHECK(reader.feed(bytes_of("0000000001bb"), collect, error));
    CHECK(frames == std::vector<std::string>{"aa", "bb"});
    CHECK(reader.buffered() == 0);
  }
}

TEST_CASE("frame_reader stops when on_frame returns false and resumes later",
          "[wire][frame]") {
  auto stream = bytes_of("00000001aa00000002bbcc00000000000000");
  std::string error;
  SECTION("stop inside a chunk") {
    frame_reader reader;
    std::vector<std::string> frames;
    CHECK(reader.feed(
        stream,
        [&](byte_span payload) {
          frames.push_back(hex(payload));
          return false;
        },
        error));
    CHECK(frames == std::vector<std::string>{"aa"});
    CHECK(reader.buffered() == stream.size() - 5);
    // Switch modes (handshake → phase 3) and continue without new bytes.
    reader.allow_empty_frames(true);
    CHECK(reader.feed(
        {}, [&](byte_span payload) { frames.push_back(hex(payload)); }, error));
    CHECK(frames == std::vector<std::string>{"aa", "bbcc"});
    CHECK(reader.buffered() == 3);
  }
  SECTION("stop on a frame completed from the buffer") {
    frame_reader reader;
    std::vector<std::string> frames;
    auto stop = [&](byte_span payload) {
      frames.push_back(hex(payload));
      return false;
    };
    CHECK(reader.feed(byte_span{stream.data(), 3}, stop, error));
    CHECK(reader.feed(byte_span{stream.data() + 3, stream.size() - 3}, stop,
                      error));
    CHECK(frames == std::vector<std::string>{"aa"});
    CHECK(reader.buffered() == stream.size() - 5);
    CHECK(reader.feed({}, stop, error));
    CHECK(frames == std::vector<std::string>{"aa", "bbcc"});
    // The rest holds an empty frame: an error while they are not allowed.
    CHECK(!reader.feed({}, stop, error));
  }
  SECTION("returning true continues") {
    frame_reader reader;
    reader.allow_empty_frames(true);
    int frames = 0;
    CHECK(reader.feed(
        stream,
        [&](byte_span) {
          ++frames;
          return true;
        },
        error));
    CHECK(frames == 2);
    CHECK(reader.buffered() == 3);
  }
}

TEST_CASE("frame_reader keeps truncated frames of every length pending",
          "[wire][frame]") {
  for (auto file : transcript_files) {
    for (auto& frame : load_transcript(file)) {
      for (size_t len = 0; len < frame.bytes.size(); ++len) {
        frame_reader reader;
        std::string error;
        CHECK(reader.feed(
            byte_span{frame.bytes.data(), len},
            [](byte_span) { FAIL("truncated frame delivered"); }, error));
        CHECK(reader.buffered() == len);
      }
    }
  }
}
