#pragma once
// Every served user: its stored events (always in memory, journaled before acknowledgement) and,
// for the most recently used ones, its incremental model state. States are what costs memory (an
// attention model's cache grows with the history), so they live in an LRU of bounded size; an
// evicted user's state is rebuilt from its stored events on its next query, by the same one-event
// steps that built it, so predictions do not depend on eviction.
//
// Concurrency: one user's requests run one at a time (a lock per user); different users run in
// parallel. Appends share a gate that a snapshot takes alone for the moment it copies the users,
// so a snapshot is one consistent point of the log.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "tpp/serve/journal.h"
#include "tpp/serve/request.h"
#include "tpp/serve/served_model.h"

namespace tpp {

struct UserStoreOptions {
  std::size_t max_cached_states{10000};
  bool allow_out_of_order{false};      // merge late events in and rebuild the state, instead of 409
  std::uint64_t snapshot_every{100000};  // records between snapshots (0: only on shutdown)
};

struct AppendOutcome {
  bool created{false};
  std::size_t num_events{0};
  double last_event_time{0};
  bool rebuilt{false};  // late events were merged in: the state is rebuilt on the next query
};

struct UserStoreStats {
  std::size_t users{0};
  std::size_t cached_states{0};
  std::uint64_t evictions{0};
  std::uint64_t rebuilds{0};   // states built from stored events (first query, after eviction or a merge)
  std::uint64_t events{0};     // events appended since start (replay excluded)
  std::uint64_t snapshots{0};
};

class UserStore {
 public:
  UserStore(const ServedModel& model, Journal& journal, UserStoreOptions options);
  ~UserStore();

  // Loads the journal (snapshot, then log). Call once, before serving.
  void recover();

  // Validates `request` against the user's stored events, journals it, then applies it. Throws
  // RequestError (409 for events before the user's last one without allow_out_of_order, 400 for
  // other problems); nothing is journaled or changed then.
  AppendOutcome append(const std::string& user, const AppendRequest& request);
  // Runs `fn` under the user's lock with its state (built when absent). False: unknown user.
  bool with_state(const std::string& user, const std::function<void(const StoredUser&, UserState&)>& fn);
  // Runs `fn` under the user's lock with its stored events. False: unknown user.
  bool with_user(const std::string& user, const std::function<void(const StoredUser&)>& fn);
  // Journals and applies a deletion. False: unknown user.
  bool remove(const std::string& user);

  // Rotates the log and writes a snapshot of every user; returns its number.
  std::uint64_t snapshot();
  UserStoreStats stats() const;

 private:
  struct Entry {
    std::mutex mutex;
    bool exists{false};  // false: created by a request that failed, or deleted
    StoredUser data;
    std::unique_ptr<UserState> state;
    bool in_lru{false};  // guarded by lru_mutex_
    std::list<std::string>::iterator lru_position;
  };
  std::shared_ptr<Entry> find(const std::string& user) const;
  std::shared_ptr<Entry> find_or_add(const std::string& user);
  void apply(Entry& entry, const JournalRecord& record, bool live);
  void touch(const std::string& user, Entry& entry);
  void forget(Entry& entry);
  void enforce_budget();
  void snapshot_loop();

  const ServedModel& model_;
  Journal& journal_;
  UserStoreOptions options_;
  std::shared_mutex gate_;                // appends and deletions shared; a snapshot's copy alone
  mutable std::shared_mutex map_mutex_;   // the map's structure
  std::unordered_map<std::string, std::shared_ptr<Entry>> users_;
  mutable std::mutex lru_mutex_;
  std::list<std::string> lru_;            // most recent first
  std::atomic<std::size_t> users_count_{0}, cached_{0};
  std::atomic<std::uint64_t> evictions_{0}, rebuilds_{0}, events_{0}, snapshots_{0};
  std::mutex snapshot_mutex_;
  bool stopping_{false};
  std::condition_variable snapshot_cv_;
  std::mutex snapshot_wait_mutex_;
  std::thread snapshotter_;
};

}  // namespace tpp
