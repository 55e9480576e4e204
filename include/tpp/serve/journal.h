#pragma once
// The server's durable record of every acknowledged event: a write-ahead log in numbered segments
// plus periodic snapshots of all users, in one directory.
//
//   wal-000007.jsonl       one JSON record per line, appended before a request is acknowledged
//   snapshot-000007.jsonl  every user as of the moment segment 7 was opened (written to a
//                          temporary file, synced and renamed, so it is whole or absent)
//
// Recovery loads the newest snapshot and replays the segments numbered from it on, in order. A
// torn last line of the last segment (a crash mid-write, never acknowledged) is cut off; any other
// unreadable line is corruption and an error naming file and line. Times are in the data's file
// units, types are the model's ids, so a journal belongs to one model's schema.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/data/dataset.h"

namespace tpp {

// When an appended record reaches the disk (it reaches the kernel before the reply in every case,
// so a killed process loses nothing; these differ on power loss or a kernel crash).
enum class FsyncPolicy {
  Always,    // fdatasync before the reply; concurrent requests share one sync (group commit)
  Interval,  // fdatasync by a background thread every interval: a power loss loses at most that
  Never,     // left to the kernel
};
FsyncPolicy parse_fsync_policy(const std::string& name);  // "always", "interval", "never"

struct JournalOptions {
  std::string directory;
  FsyncPolicy fsync{FsyncPolicy::Always};
  int fsync_interval_ms{100};
};

// A user as stored: the header and every event in time order.
struct StoredUser {
  std::string user;
  double t_start{0};
  std::vector<float> features;
  std::vector<Event> events;  // type ids of the model's schema; file time units; no text
};

struct JournalRecord {
  enum class Kind { Append, Delete };
  Kind kind{Kind::Append};
  std::uint64_t lsn{0};  // log sequence number, assigned by append(), increasing across segments
  std::string user;
  // Append: set when the record creates the user (its header); events in request order.
  bool creates{false};
  double t_start{0};
  std::vector<float> features;
  std::vector<Event> events;
  bool insert{false};  // events may precede the user's last one and are merged in (out-of-order mode)

  nlohmann::json to_json() const;
  // Throws tpp::Error naming the field.
  static JournalRecord from_json(const nlohmann::json& j);
};

nlohmann::json to_json(const StoredUser& user);
StoredUser stored_user_from_json(const nlohmann::json& j);

class Journal {
 public:
  explicit Journal(JournalOptions options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Reads what the directory holds, in order: the snapshot's users, then the later records. Then
  // opens a fresh segment for appends. Call once, before append().
  void recover(const std::function<void(StoredUser&&)>& on_user,
               const std::function<void(JournalRecord&&)>& on_record);

  // Assigns record.lsn, writes the record and, by the fsync policy, syncs it; returns when it is
  // as durable as the policy promises. Thread-safe.
  void append(JournalRecord& record);

  // Starts a new segment: records appended from now on go to it. Returns its number, which names
  // the snapshot that must hold every user as of this moment.
  std::uint64_t rotate();
  // Writes that snapshot atomically, then removes the segments and snapshots it supersedes.
  void write_snapshot(std::uint64_t segment, const std::vector<StoredUser>& users);

  std::uint64_t records_since_rotation() const { return since_rotation_.load(); }
  std::uint64_t bytes_written() const { return bytes_written_.load(); }
  std::uint64_t syncs() const { return syncs_.load(); }
  std::uint64_t last_lsn() const;
  const std::string& directory() const { return options_.directory; }

 private:
  std::string segment_path(std::uint64_t n) const;
  std::string snapshot_path(std::uint64_t n) const;
  void open_segment(std::uint64_t n);
  void sync_loop();

  JournalOptions options_;
  mutable std::mutex write_mutex_;  // orders records: lsn, offset, segment
  int fd_{-1};
  std::uint64_t segment_{0};
  std::uint64_t lsn_{0};
  std::uint64_t written_{0};  // bytes written to the current segment
  // One fdatasync at a time; appenders that wrote before it started find their bytes synced. Taken
  // before write_mutex_ wherever both are held, and held by rotate(), so a syncing fd stays open.
  std::mutex sync_mutex_;
  std::uint64_t synced_{0};          // bytes of synced_segment_ known on disk (under sync_mutex_)
  std::uint64_t synced_segment_{0};
  std::atomic<std::uint64_t> since_rotation_{0}, bytes_written_{0}, syncs_{0};
  bool dirty_{false};
  bool stopping_{false};
  std::condition_variable stop_cv_;
  std::thread syncer_;
};

}  // namespace tpp
