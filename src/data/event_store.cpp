// The binary columnar event store: writer (columns streamed to temporary files, joined atomically)
// and memory-mapped reader (every size, bound and checksum checked before any value is trusted).
#include "tpp/data/event_store.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "tpp/core/error.h"

namespace tpp {

namespace {

// Eight bytes that no text format starts with; the \r\n and \x1a catch a file mangled by
// newline translation, as PNG's signature does.
constexpr unsigned char kMagic[8] = {0x89, 'T', 'P', 'P', 'S', '\r', '\n', 0x1a};

// Column sections, in file order. The store's layout is this list; docs/formats.md spells it out.
enum SectionId : int {
  kSequenceOffsets,  // u64[n+1]: first event of each sequence, then the event count
  kWindows,          // f64[2n]: t_start, t_end of each sequence
  kCategories,       // i32[n]: category id, -1 none
  kFirstTargets,     // u64[n]: Sequence::first_target
  kUserOffsets,      // u64[n+1] into kUserBytes
  kUserBytes,        // UTF-8 user ids, concatenated
  kTimes,            // f64[E]
  kTypes,            // i32[E]
  kFlags,            // u8[E]: bit 0 stimulus
  kMeta,             // f32[E * meta_dim]
  kFeatures,         // f32[n * feature_dim]
  kTextOffsets,      // u64[E+1] into kTextBytes
  kTextBytes,        // UTF-8 event texts, concatenated
  kSchema,           // to_json(Schema), UTF-8
  kNumSections
};

const char* section_name(int s) {
  static const char* names[kNumSections] = {"sequence offsets", "windows", "categories", "first targets",
                                            "user offsets",     "user ids", "times",     "types",
                                            "flags",            "metadata", "features",  "text offsets",
                                            "texts",            "schema"};
  return names[s];
}

constexpr std::uint8_t kStimulusFlag = 1;

// Fixed header: magic, version, header size, counts, widths, section table, then the CRC-32 of
// every header byte before it. Little-endian (the only byte order this reader accepts).
constexpr std::size_t kSectionEntry = 24;  // offset u64, size u64, crc u32, reserved u32
constexpr std::size_t kTableStart = 56;
constexpr std::size_t kHeaderSize = kTableStart + kNumSections * kSectionEntry + 8;

constexpr std::size_t kBuffer = 1 << 20;

std::uint32_t crc_of(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib's length is a uInt
    const auto piece = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = static_cast<std::uint32_t>(crc32(crc, p, piece));
    p += piece;
    n -= piece;
  }
  return crc;
}

template <class T>
void put(unsigned char* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}
template <class T>
T get(const unsigned char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

std::uint64_t padded(std::uint64_t n) { return (n + 7) / 8 * 8; }

void write_all(int fd, const void* data, std::size_t n, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw Error(path + ": cannot write: " + std::strerror(errno));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

bool little_endian() {
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

}  // namespace

bool is_event_store(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[sizeof(kMagic)];
  return in.read(reinterpret_cast<char*>(head), sizeof head) && std::memcmp(head, kMagic, sizeof kMagic) == 0;
}

// ---------------------------------------------------------------------------------------------
// Writer

// One column: bytes buffered in memory, flushed to a temporary file, checksummed as they go.
struct EventStoreWriter::Column {
  std::string file;
  std::ofstream out;
  std::string buffer;
  std::uint64_t size{0};
  std::uint32_t crc{0};

  explicit Column(std::string f) : file(std::move(f)), out(file, std::ios::binary | std::ios::trunc) {
    if (!out) throw Error(file + ": cannot write");
    crc = crc_of(0, nullptr, 0);
  }
  void append(const void* data, std::size_t n) {
    buffer.append(static_cast<const char*>(data), n);
    if (buffer.size() >= kBuffer) flush();
  }
  template <class T>
  void append_value(T v) {
    append(&v, sizeof v);
  }
  void flush() {
    crc = crc_of(crc, buffer.data(), buffer.size());
    size += buffer.size();
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (!out) throw Error(file + ": cannot write");
    buffer.clear();
  }
};

EventStoreWriter::EventStoreWriter(std::string path, int meta_dim, int feature_dim)
    : path_(std::move(path)), meta_dim_(meta_dim), feature_dim_(feature_dim) {
  if (meta_dim < 0 || feature_dim < 0) throw Error(path_ + ": negative metadata or feature width");
  if (!little_endian()) throw Error(path_ + ": event stores are little-endian; this machine is not");
  for (int s = 0; s < kNumSections; ++s)
    columns_.push_back(std::make_unique<Column>(fmt::format("{}.tmp.{}", path_, s)));
  columns_[kSequenceOffsets]->append_value<std::uint64_t>(0);
  columns_[kUserOffsets]->append_value<std::uint64_t>(0);
  columns_[kTextOffsets]->append_value<std::uint64_t>(0);
}

EventStoreWriter::~EventStoreWriter() {
  std::error_code ignored;
  for (auto& c : columns_) {
    c->out.close();
    std::filesystem::remove(c->file, ignored);
  }
  if (!finished_) std::filesystem::remove(path_ + ".tmp", ignored);
}

void EventStoreWriter::add(const Sequence& seq) {
  if (finished_) throw Error(path_ + ": store already finished");
  if (!seq.features.empty() && static_cast<int>(seq.features.size()) != feature_dim_)
    throw Error(fmt::format("{}: user '{}' has {} features, the store {}", path_, seq.user, seq.features.size(), feature_dim_));
  for (const auto& e : seq.events) {
    if (!e.meta.empty() && static_cast<int>(e.meta.size()) != meta_dim_)
      throw Error(fmt::format("{}: an event of user '{}' has {} metadata values, the store {}", path_, seq.user,
                              e.meta.size(), meta_dim_));
    columns_[kTimes]->append_value<double>(e.time);
    columns_[kTypes]->append_value<std::int32_t>(e.type);
    columns_[kFlags]->append_value<std::uint8_t>(e.is_stimulus ? kStimulusFlag : 0);
    for (int m = 0; m < meta_dim_; ++m)
      columns_[kMeta]->append_value<float>(e.meta.empty() ? 0.0f : e.meta[static_cast<std::size_t>(m)]);
    columns_[kTextBytes]->append(e.text.data(), e.text.size());
    text_bytes_ += e.text.size();
    columns_[kTextOffsets]->append_value<std::uint64_t>(text_bytes_);
  }
  events_ += seq.events.size();
  ++sequences_;
  columns_[kSequenceOffsets]->append_value<std::uint64_t>(events_);
  columns_[kWindows]->append_value<double>(seq.t_start);
  columns_[kWindows]->append_value<double>(seq.t_end);
  columns_[kCategories]->append_value<std::int32_t>(seq.category);
  columns_[kFirstTargets]->append_value<std::uint64_t>(seq.first_target);
  columns_[kUserBytes]->append(seq.user.data(), seq.user.size());
  user_bytes_ += seq.user.size();
  columns_[kUserOffsets]->append_value<std::uint64_t>(user_bytes_);
  for (int f = 0; f < feature_dim_; ++f)
    columns_[kFeatures]->append_value<float>(seq.features.empty() ? 0.0f : seq.features[static_cast<std::size_t>(f)]);
  actions_ += seq.num_actions();
}

void EventStoreWriter::finish(const Schema& schema) {
  if (finished_) throw Error(path_ + ": store already finished");
  if (schema.event_meta_dim != meta_dim_ || schema.user_feature_dim != feature_dim_)
    throw Error(path_ + ": the schema's metadata or feature width differs from the store's");
  const std::string schema_text = to_json(schema).dump();
  columns_[kSchema]->append(schema_text.data(), schema_text.size());

  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(tmp + ": cannot write: " + std::strerror(errno));
  try {
    unsigned char header[kHeaderSize] = {};
    write_all(fd, header, sizeof header, tmp);  // placeholder until the section table is known
    std::uint64_t offset = kHeaderSize;
    std::vector<char> buffer(kBuffer);
    const char zeros[8] = {};
    for (int s = 0; s < kNumSections; ++s) {
      Column& c = *columns_[s];
      c.flush();
      c.out.close();
      if (!c.out) throw Error(c.file + ": cannot write");
      std::ifstream in(c.file, std::ios::binary);
      while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        if (in.gcount() > 0) write_all(fd, buffer.data(), static_cast<std::size_t>(in.gcount()), tmp);
      }
      std::error_code ignored;
      std::filesystem::remove(c.file, ignored);
      write_all(fd, zeros, padded(c.size) - c.size, tmp);
      unsigned char* entry = header + kTableStart + static_cast<std::size_t>(s) * kSectionEntry;
      put<std::uint64_t>(entry, offset);
      put<std::uint64_t>(entry + 8, c.size);
      put<std::uint32_t>(entry + 16, c.crc);
      offset += padded(c.size);
    }
    std::memcpy(header, kMagic, sizeof kMagic);
    put<std::uint32_t>(header + 8, kEventStoreVersion);
    put<std::uint32_t>(header + 12, static_cast<std::uint32_t>(kHeaderSize));
    put<std::uint64_t>(header + 16, sequences_);
    put<std::uint64_t>(header + 24, events_);
    put<std::uint64_t>(header + 32, actions_);
    put<std::uint32_t>(header + 40, static_cast<std::uint32_t>(meta_dim_));
    put<std::uint32_t>(header + 44, static_cast<std::uint32_t>(feature_dim_));
    put<std::uint32_t>(header + 48, kNumSections);
    put<std::uint32_t>(header + kHeaderSize - 8, crc_of(crc_of(0, nullptr, 0), header, kHeaderSize - 8));
    if (::lseek(fd, 0, SEEK_SET) != 0) throw Error(tmp + ": cannot seek: " + std::strerror(errno));
    write_all(fd, header, sizeof header, tmp);
    if (::fsync(fd) != 0) throw Error(tmp + ": cannot sync: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw Error(tmp + ": cannot write: " + std::strerror(errno));
  std::error_code error;
  std::filesystem::rename(tmp, path_, error);
  if (error) throw Error(path_ + ": cannot replace: " + error.message());
  // The rename itself is durable once the directory is synced.
  const std::string dir = std::filesystem::absolute(path_).parent_path().string();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  finished_ = true;
}

void write_event_store(const Dataset& data, const std::string& path) {
  EventStoreWriter writer(path, data.schema.event_meta_dim, data.schema.user_feature_dim);
  for (const auto& seq : data.sequences) writer.add(seq);
  writer.finish(data.schema);
}

// ---------------------------------------------------------------------------------------------
// Reader

EventStore::EventStore(const std::string& path) : path_(path) {
  auto fail = [&](const std::string& field, const std::string& reason) { throw DataError(path_, 0, field, reason); };
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail("file", std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    ::close(fd_);
    fail("file", std::string("cannot stat: ") + std::strerror(errno));
  }
  file_size_ = static_cast<std::size_t>(st.st_size);
  try {
    if (file_size_ < sizeof kMagic) fail("header", fmt::format("truncated: {} bytes, not an event store", file_size_));
    void* map = ::mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (map == MAP_FAILED) fail("file", std::string("cannot map: ") + std::strerror(errno));
    map_ = static_cast<const unsigned char*>(map);
    if (std::memcmp(map_, kMagic, sizeof kMagic) != 0) fail("header", "bad magic: not an event store");
    if (file_size_ < 12) fail("header", "truncated header");
    const auto version = get<std::uint32_t>(map_ + 8);
    if (version != kEventStoreVersion)
      fail("version", fmt::format("format version {} (this build reads version {})", version, kEventStoreVersion));
    if (file_size_ < kHeaderSize) fail("header", fmt::format("truncated: {} bytes, the header alone has {}", file_size_, kHeaderSize));
    if (get<std::uint32_t>(map_ + 12) != kHeaderSize || get<std::uint32_t>(map_ + 48) != kNumSections)
      fail("header", "unexpected header or section-table size");
    if (crc_of(crc_of(0, nullptr, 0), map_, kHeaderSize - 8) != get<std::uint32_t>(map_ + kHeaderSize - 8))
      fail("header", "checksum mismatch (corrupt header)");
    num_sequences_ = get<std::uint64_t>(map_ + 16);
    num_events_ = get<std::uint64_t>(map_ + 24);
    num_actions_ = get<std::uint64_t>(map_ + 32);
    meta_dim_ = static_cast<int>(get<std::uint32_t>(map_ + 40));
    feature_dim_ = static_cast<int>(get<std::uint32_t>(map_ + 44));
    // Counts bounded by the file size first, so that the expected sizes below cannot overflow.
    if (num_sequences_ > file_size_ || num_events_ > file_size_ || num_actions_ > num_events_ ||
        meta_dim_ < 0 || feature_dim_ < 0 || meta_dim_ > 1 << 20 || feature_dim_ > 1 << 20)
      fail("header", fmt::format("counts ({} sequences, {} events) too large for a file of {} bytes (truncated?)",
                                  num_sequences_, num_events_, file_size_));

    std::uint64_t expected_offset = kHeaderSize;
    for (int s = 0; s < kNumSections; ++s) {
      const unsigned char* entry = map_ + kTableStart + static_cast<std::size_t>(s) * kSectionEntry;
      Section sec{get<std::uint64_t>(entry), get<std::uint64_t>(entry + 8)};
      if (sec.offset != expected_offset || sec.size > file_size_ || padded(sec.size) > file_size_ - sec.offset)
        fail(section_name(s), fmt::format("section [{}, +{}) outside the file of {} bytes (truncated?)", sec.offset,
                                          sec.size, file_size_));
      expected_offset += padded(sec.size);
      sections_.push_back(sec);
    }
    if (expected_offset != file_size_)
      fail("file", fmt::format("{} bytes, the sections end at {} (truncated or extended)", file_size_, expected_offset));
    const std::uint64_t n = num_sequences_, E = num_events_;
    check_section(kSequenceOffsets, 8 * (n + 1), "sequence offsets");
    check_section(kWindows, 16 * n, "windows");
    check_section(kCategories, 4 * n, "categories");
    check_section(kFirstTargets, 8 * n, "first targets");
    check_section(kUserOffsets, 8 * (n + 1), "user offsets");
    check_section(kTimes, 8 * E, "times");
    check_section(kTypes, 4 * E, "types");
    check_section(kFlags, E, "flags");
    check_section(kMeta, 4 * E * static_cast<std::uint64_t>(meta_dim_), "metadata");
    check_section(kFeatures, 4 * n * static_cast<std::uint64_t>(feature_dim_), "features");
    check_section(kTextOffsets, 8 * (E + 1), "text offsets");

    // Checksums, section by section, releasing each piece's pages once summed.
    for (int s = 0; s < kNumSections; ++s) {
      const unsigned char* entry = map_ + kTableStart + static_cast<std::size_t>(s) * kSectionEntry;
      std::uint32_t crc = crc_of(0, nullptr, 0);
      for (std::uint64_t done = 0; done < sections_[s].size; done += 16 * kBuffer) {
        const std::uint64_t piece = std::min<std::uint64_t>(16 * kBuffer, sections_[s].size - done);
        crc = crc_of(crc, map_ + sections_[s].offset + done, piece);
        release(sections_[s].offset + done, piece);
      }
      if (crc != get<std::uint32_t>(entry + 16)) fail(section_name(s), "checksum mismatch (corrupt data)");
      for (std::uint64_t p = sections_[s].offset + sections_[s].size; p < sections_[s].offset + padded(sections_[s].size); ++p)
        if (map_[p] != 0) fail(section_name(s), "padding after the section is not zero (corrupt data)");
    }
    // Batches read scattered sequences: read-ahead would map their neighbours too.
    ::madvise(const_cast<unsigned char*>(map_), file_size_, MADV_RANDOM);

    // The offsets' ends, which every later read relies on.
    if (at<std::uint64_t>(kSequenceOffsets, 0) != 0 || at<std::uint64_t>(kSequenceOffsets, n) != E)
      fail("sequence offsets", fmt::format("do not run from 0 to the {} events", E));
    if (at<std::uint64_t>(kUserOffsets, 0) != 0 || at<std::uint64_t>(kUserOffsets, n) != sections_[kUserBytes].size)
      fail("user offsets", "do not span the user ids");
    if (at<std::uint64_t>(kTextOffsets, 0) != 0 || at<std::uint64_t>(kTextOffsets, E) != sections_[kTextBytes].size)
      fail("text offsets", "do not span the texts");

    const auto* schema_bytes = reinterpret_cast<const char*>(bytes(kSchema));
    try {
      schema_ = schema_from_json(nlohmann::json::parse(schema_bytes, schema_bytes + sections_[kSchema].size));
    } catch (const std::exception& e) {
      fail("schema", std::string("unreadable: ") + e.what());
    }
    if (schema_.event_meta_dim != meta_dim_ || schema_.user_feature_dim != feature_dim_)
      fail("schema", "metadata or feature width differs from the header's");
    if (schema_.num_action_types < 0 || schema_.num_stimulus_types < 0)
      fail("schema", "negative number of types");
  } catch (...) {
    if (map_) ::munmap(const_cast<unsigned char*>(map_), file_size_);
    ::close(fd_);
    throw;
  }
}

EventStore::~EventStore() {
  if (map_) ::munmap(const_cast<unsigned char*>(map_), file_size_);
  if (fd_ >= 0) ::close(fd_);
}

void EventStore::check_section(int section, std::uint64_t expected_size, const char* name) const {
  if (sections_[section].size != expected_size)
    throw DataError(path_, 0, name,
                    fmt::format("{} bytes where the header's counts make {}", sections_[section].size, expected_size));
}

const unsigned char* EventStore::bytes(int section) const { return map_ + sections_[section].offset; }

template <class T>
T EventStore::at(int section, std::size_t i) const {
  return get<T>(bytes(section) + i * sizeof(T));
}

std::size_t EventStore::length(std::size_t i) const {
  const auto begin = at<std::uint64_t>(kSequenceOffsets, i), end = at<std::uint64_t>(kSequenceOffsets, i + 1);
  if (end < begin || end > num_events_)
    throw DataError(path_, 0, "sequence offsets", fmt::format("sequence {}: offsets {}..{} out of order", i, begin, end));
  return static_cast<std::size_t>(end - begin);
}

double EventStore::t_start(std::size_t i) const { return at<double>(kWindows, 2 * i); }
double EventStore::t_end(std::size_t i) const { return at<double>(kWindows, 2 * i + 1); }

Sequence EventStore::sequence(std::size_t i) const {
  if (i >= num_sequences_) throw Error(fmt::format("{}: sequence {} of {}", path_, i, num_sequences_));
  auto fail = [&](const char* field, const std::string& reason) {
    throw DataError(path_, 0, field, fmt::format("sequence {}: {}", i, reason));
  };
  const std::size_t n = length(i);
  const auto first = static_cast<std::size_t>(at<std::uint64_t>(kSequenceOffsets, i));
  Sequence seq;
  const auto u0 = at<std::uint64_t>(kUserOffsets, i), u1 = at<std::uint64_t>(kUserOffsets, i + 1);
  if (u1 < u0 || u1 > sections_[kUserBytes].size) fail("user offsets", "out of order");
  seq.user.assign(reinterpret_cast<const char*>(bytes(kUserBytes)) + u0, u1 - u0);
  seq.category = at<std::int32_t>(kCategories, i);
  if (seq.category < -1 || seq.category >= static_cast<int>(schema_.category_names.size()))
    fail("categories", fmt::format("category id {} outside the schema's {}", seq.category, schema_.category_names.size()));
  seq.t_start = t_start(i);
  seq.t_end = t_end(i);
  if (!std::isfinite(seq.t_start) || !std::isfinite(seq.t_end) || seq.t_end < seq.t_start)
    fail("windows", "window not finite and ordered");
  seq.first_target = static_cast<std::size_t>(at<std::uint64_t>(kFirstTargets, i));
  if (seq.first_target > n) fail("first targets", "beyond the sequence's events");
  for (int f = 0; f < feature_dim_; ++f)
    seq.features.push_back(at<float>(kFeatures, i * static_cast<std::size_t>(feature_dim_) + static_cast<std::size_t>(f)));
  seq.events.resize(n);
  double previous = -std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t k = first + j;
    Event& e = seq.events[j];
    e.time = at<double>(kTimes, k);
    if (!std::isfinite(e.time) || e.time < previous) fail("times", fmt::format("event {}: time not finite or decreasing", j));
    previous = e.time;
    const auto flags = at<std::uint8_t>(kFlags, k);
    if (flags & ~kStimulusFlag) fail("flags", fmt::format("event {}: unknown flag bits {:#x}", j, flags));
    e.is_stimulus = flags & kStimulusFlag;
    e.type = at<std::int32_t>(kTypes, k);
    const int types = e.is_stimulus ? schema_.num_stimulus_types : schema_.num_action_types;
    if (e.type < 0 || e.type >= types)
      fail("types", fmt::format("event {}: {} type {} outside the schema's {}", j, e.is_stimulus ? "stimulus" : "action",
                                e.type, types));
    if (meta_dim_ > 0) {
      e.meta.resize(static_cast<std::size_t>(meta_dim_));
      std::memcpy(e.meta.data(), bytes(kMeta) + 4 * k * static_cast<std::size_t>(meta_dim_),
                  4 * static_cast<std::size_t>(meta_dim_));
    }
    const auto t0 = at<std::uint64_t>(kTextOffsets, k), t1 = at<std::uint64_t>(kTextOffsets, k + 1);
    if (t1 < t0 || t1 > sections_[kTextBytes].size) fail("text offsets", fmt::format("event {}: out of order", j));
    e.text.assign(reinterpret_cast<const char*>(bytes(kTextBytes)) + t0, t1 - t0);
  }
  return seq;
}

Dataset EventStore::load(const std::vector<std::size_t>& indices) const {
  Dataset data;
  data.schema = schema_;
  data.sequences.reserve(indices.size());
  // Each sequence's pages go back as soon as it is copied out: the kernel maps the cached pages
  // around every page read (fault-around), so the scattered sequences of one batch would
  // otherwise keep tens of MiB of the file mapped until the batch is done.
  for (auto i : indices) {
    data.sequences.push_back(sequence(i));
    release();
  }
  return data;
}

Dataset EventStore::load_all() const {
  std::vector<std::size_t> all(num_sequences_);
  std::iota(all.begin(), all.end(), std::size_t{0});
  return load(all);
}

void EventStore::release() const {
  // Private read-only mapping of a file: the pages return to the page cache, and the next read
  // maps them again from the unchanged file.
  ::madvise(const_cast<unsigned char*>(map_), file_size_, MADV_DONTNEED);
}

void EventStore::release(std::uint64_t offset, std::uint64_t size) const {
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t begin = offset / page * page;
  const std::uint64_t end = std::min<std::uint64_t>(offset + size, file_size_);
  if (end > begin) ::madvise(const_cast<unsigned char*>(map_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace tpp
