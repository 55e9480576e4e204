#include "tpp/serve/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include <fmt/format.h>

#include "tpp/core/error.h"

namespace tpp {

namespace fs = std::filesystem;

FsyncPolicy parse_fsync_policy(const std::string& name) {
  if (name == "always") return FsyncPolicy::Always;
  if (name == "interval") return FsyncPolicy::Interval;
  if (name == "never") return FsyncPolicy::Never;
  throw Error(fmt::format("--fsync: '{}' is not one of always, interval, never", name));
}

namespace {

nlohmann::json events_to_json(const std::vector<Event>& events) {
  auto out = nlohmann::json::array();
  for (const auto& e : events) {
    nlohmann::json row = {e.time, e.type, e.is_stimulus};
    if (!e.meta.empty()) row.push_back(e.meta);
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<Event> events_from_json(const nlohmann::json& j) {
  if (!j.is_array()) throw Error("events: not an array");
  std::vector<Event> events;
  events.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& row = j[i];
    if (!row.is_array() || row.size() < 3 || !row[0].is_number() || !row[1].is_number_integer() ||
        !row[2].is_boolean())
      throw Error(fmt::format("events[{}]: not [time, type, stimulus]", i));
    Event e;
    e.time = row[0].get<double>();
    e.type = row[1].get<int>();
    e.is_stimulus = row[2].get<bool>();
    if (row.size() > 3) e.meta = row[3].get<std::vector<float>>();
    events.push_back(std::move(e));
  }
  return events;
}

// write() until every byte is out; a short write is retried, an error names the file.
void write_all(int fd, const std::string& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
}

void sync_fd(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) throw Error(fmt::format("{}: fdatasync failed: {}", path, std::strerror(errno)));
}

// A rename is durable once the directory entry is synced.
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Numbered files "<prefix>-NNNNNN.jsonl" in the directory, ascending.
std::vector<std::uint64_t> numbered(const std::string& dir, const std::string& prefix) {
  std::vector<std::uint64_t> out;
  const std::regex pattern(prefix + "-([0-9]+)\\.jsonl");
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, pattern)) out.push_back(std::stoull(m[1].str()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

nlohmann::json JournalRecord::to_json() const {
  nlohmann::json j = {{"lsn", lsn}, {"user", user}};
  if (kind == Kind::Delete) {
    j["delete"] = true;
    return j;
  }
  if (creates) {
    j["t_start"] = t_start;
    if (!features.empty()) j["features"] = features;
  }
  if (insert) j["insert"] = true;
  j["events"] = events_to_json(events);
  return j;
}

JournalRecord JournalRecord::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("lsn") || !j["lsn"].is_number_unsigned() || !j.contains("user") ||
      !j["user"].is_string())
    throw Error("record: needs \"lsn\" and \"user\"");
  JournalRecord r;
  r.lsn = j["lsn"].get<std::uint64_t>();
  r.user = j["user"].get<std::string>();
  if (j.value("delete", false)) {
    r.kind = Kind::Delete;
    return r;
  }
  if (j.contains("t_start")) {
    r.creates = true;
    r.t_start = j["t_start"].get<double>();
    if (j.contains("features")) r.features = j["features"].get<std::vector<float>>();
  }
  r.insert = j.value("insert", false);
  if (!j.contains("events")) throw Error("record: needs \"events\"");
  r.events = events_from_json(j["events"]);
  return r;
}

nlohmann::json to_json(const StoredUser& user) {
  nlohmann::json j = {{"user", user.user}, {"t_start", user.t_start}};
  if (!user.features.empty()) j["features"] = user.features;
  j["events"] = events_to_json(user.events);
  return j;
}

StoredUser stored_user_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("user") || !j["user"].is_string() || !j.contains("t_start") ||
      !j["t_start"].is_number() || !j.contains("events"))
    throw Error("user: needs \"user\", \"t_start\" and \"events\"");
  StoredUser u;
  u.user = j["user"].get<std::string>();
  u.t_start = j["t_start"].get<double>();
  if (j.contains("features")) u.features = j["features"].get<std::vector<float>>();
  u.events = events_from_json(j["events"]);
  return u;
}

Journal::Journal(JournalOptions options) : options_(std::move(options)) {
  if (options_.directory.empty()) throw Error("journal: a state directory is required");
  std::error_code ec;
  fs::create_directories(options_.directory, ec);
  if (ec || !fs::is_directory(options_.directory))
    throw Error(fmt::format("{}: cannot create the state directory: {}", options_.directory, ec.message()));
  if (options_.fsync == FsyncPolicy::Interval && options_.fsync_interval_ms < 1)
    throw Error("--fsync-interval-ms: must be at least 1");
}

Journal::~Journal() {
  {
    std::lock_guard<std::mutex> lock(write_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

std::string Journal::segment_path(std::uint64_t n) const {
  return fmt::format("{}/wal-{:06d}.jsonl", options_.directory, n);
}
std::string Journal::snapshot_path(std::uint64_t n) const {
  return fmt::format("{}/snapshot-{:06d}.jsonl", options_.directory, n);
}

void Journal::recover(const std::function<void(StoredUser&&)>& on_user,
                      const std::function<void(JournalRecord&&)>& on_record) {
  const auto snapshots = numbered(options_.directory, "snapshot");
  const auto segments = numbered(options_.directory, "wal");
  std::uint64_t from = 0;
  if (!snapshots.empty()) {
    from = snapshots.back();
    const std::string path = snapshot_path(from);
    std::ifstream in(path);
    std::string line;
    std::size_t number = 0;
    std::uint64_t expected = 0, seen = 0;
    while (std::getline(in, line)) {
      ++number;
      try {
        auto j = nlohmann::json::parse(line);
        if (number == 1) {
          expected = j.at("users").get<std::uint64_t>();
          lsn_ = j.at("lsn").get<std::uint64_t>();
          continue;
        }
        on_user(stored_user_from_json(j));
        ++seen;
      } catch (const std::exception& e) {
        throw Error(fmt::format("{}:{}: unreadable snapshot line: {}", path, number, e.what()));
      }
    }
    if (number == 0 || seen != expected)
      throw Error(fmt::format("{}: holds {} users where its header says {}", path, seen, expected));
  }
  std::uint64_t last = from;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const std::uint64_t n = segments[s];
    if (n < from) continue;
    last = std::max(last, n);
    const bool final_segment = s + 1 == segments.size();
    const std::string path = segment_path(n);
    std::ifstream in(path, std::ios::binary);
    std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t begin = 0, number = 0;
    while (begin < contents.size()) {
      const std::size_t end = contents.find('\n', begin);
      ++number;
      const bool complete = end != std::string::npos;
      const std::string line = contents.substr(begin, complete ? end - begin : std::string::npos);
      JournalRecord record;
      bool ok = true;
      std::string why;
      try {
        record = JournalRecord::from_json(nlohmann::json::parse(line));
      } catch (const std::exception& e) {
        ok = false;
        why = e.what();
      }
      if (!ok || !complete) {
        // Only the very end of the log may be torn: those bytes were never acknowledged.
        if (final_segment && !complete) {
          std::error_code ec;
          fs::resize_file(path, begin, ec);
          if (ec) throw Error(fmt::format("{}: cannot cut the torn last record: {}", path, ec.message()));
          break;
        }
        throw Error(fmt::format("{}:{}: unreadable log record: {}", path, number, ok ? "no line end" : why));
      }
      if (record.lsn <= lsn_)
        throw Error(fmt::format("{}:{}: lsn {} does not follow {}", path, number, record.lsn, lsn_));
      lsn_ = record.lsn;
      on_record(std::move(record));
      begin = end + 1;
    }
  }
  open_segment(last + 1);
  if (options_.fsync == FsyncPolicy::Interval) syncer_ = std::thread([this] { sync_loop(); });
}

void Journal::open_segment(std::uint64_t n) {
  const std::string path = segment_path(n);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot open the log: {}", path, std::strerror(errno)));
  sync_directory(options_.directory);
  fd_ = fd;
  segment_ = n;
  written_ = 0;
  synced_ = 0;
  since_rotation_ = 0;
}

void Journal::append(JournalRecord& record) {
  std::uint64_t segment = 0, offset = 0;
  {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (fd_ < 0) throw Error("journal: append before recover");
    record.lsn = lsn_ + 1;
    std::string line = record.to_json().dump();
    line.push_back('\n');
    write_all(fd_, line, segment_path(segment_));
    lsn_ = record.lsn;
    written_ += line.size();
    bytes_written_ += line.size();
    ++since_rotation_;
    dirty_ = true;
    segment = segment_;
    offset = written_;
  }
  if (options_.fsync == FsyncPolicy::Always) {
    std::lock_guard<std::mutex> lock(sync_mutex_);
    // A sync started after our write covers it; so does a rotation, which syncs the old segment.
    if (segment < synced_segment_ || (segment == synced_segment_ && offset <= synced_)) return;
    std::uint64_t through = 0;
    int fd = -1;
    {
      std::lock_guard<std::mutex> wl(write_mutex_);
      if (segment_ != segment) return;  // rotated meanwhile: rotate() synced it
      through = written_;
      fd = fd_;
    }
    sync_fd(fd, segment_path(segment));
    ++syncs_;
    synced_segment_ = segment;
    synced_ = through;
  }
}

std::uint64_t Journal::rotate() {
  std::lock_guard<std::mutex> sl(sync_mutex_);
  std::lock_guard<std::mutex> lock(write_mutex_);
  if (fd_ >= 0) {
    sync_fd(fd_, segment_path(segment_));
    ::close(fd_);
  }
  open_segment(segment_ + 1);
  synced_segment_ = segment_;
  return segment_;
}

void Journal::write_snapshot(std::uint64_t segment, const std::vector<StoredUser>& users) {
  const std::string path = snapshot_path(segment), temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot write the snapshot: {}", temporary, std::strerror(errno)));
  try {
    std::uint64_t lsn = 0;
    {
      // Every record before the segment's first is in the snapshot: its lsn floor is the last one
      // written before the segment opened, which recovery continues from.
      std::lock_guard<std::mutex> lock(write_mutex_);
      lsn = lsn_ - since_rotation_.load();
      if (segment_ != segment) throw Error("journal: snapshot of a segment that is no longer current");
    }
    std::string buffer = nlohmann::json{{"users", users.size()}, {"lsn", lsn}}.dump() + "\n";
    for (const auto& u : users) {
      buffer += to_json(u).dump();
      buffer.push_back('\n');
      if (buffer.size() > (1u << 20)) {
        write_all(fd, buffer, temporary);
        buffer.clear();
      }
    }
    write_all(fd, buffer, temporary);
    if (::fsync(fd) != 0) throw Error(fmt::format("{}: fsync failed: {}", temporary, std::strerror(errno)));
  } catch (...) {
    ::close(fd);
    std::remove(temporary.c_str());
    throw;
  }
  ::close(fd);
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) throw Error(fmt::format("{}: cannot rename the snapshot into place: {}", path, ec.message()));
  sync_directory(options_.directory);
  for (auto n : numbered(options_.directory, "snapshot"))
    if (n < segment) fs::remove(snapshot_path(n), ec);
  for (auto n : numbered(options_.directory, "wal"))
    if (n < segment) fs::remove(segment_path(n), ec);
}

std::uint64_t Journal::last_lsn() const {
  std::lock_guard<std::mutex> lock(write_mutex_);
  return lsn_;
}

void Journal::sync_loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(write_mutex_);
      stop_cv_.wait_for(lock, std::chrono::milliseconds(options_.fsync_interval_ms), [this] { return stopping_; });
      if (stopping_) return;
      if (!dirty_) continue;
      dirty_ = false;
    }
    // Appends go on while the disk syncs; sync_mutex_ keeps rotate() from closing the fd under it.
    std::lock_guard<std::mutex> sl(sync_mutex_);
    int fd = -1;
    {
      std::lock_guard<std::mutex> lock(write_mutex_);
      fd = fd_;
    }
    if (fd >= 0 && ::fdatasync(fd) == 0) ++syncs_;
  }
}

}  // namespace tpp
