#include "tpp/serve/user_store.h"

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

namespace tpp {

UserStore::UserStore(const ServedModel& model, Journal& journal, UserStoreOptions options)
    : model_(model), journal_(journal), options_(options) {
  if (options_.max_cached_states < 1) throw Error("--cache-users: must be at least 1");
}

UserStore::~UserStore() {
  {
    std::lock_guard<std::mutex> lock(snapshot_wait_mutex_);
    stopping_ = true;
  }
  snapshot_cv_.notify_all();
  if (snapshotter_.joinable()) snapshotter_.join();
}

std::shared_ptr<UserStore::Entry> UserStore::find(const std::string& user) const {
  std::shared_lock<std::shared_mutex> lock(map_mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? nullptr : it->second;
}

std::shared_ptr<UserStore::Entry> UserStore::find_or_add(const std::string& user) {
  if (auto found = find(user)) return found;
  std::unique_lock<std::shared_mutex> lock(map_mutex_);
  // Entries are never erased (a deleted user keeps a tombstone), so the pointer a request holds
  // always is the user's one entry.
  auto& slot = users_[user];
  if (!slot) slot = std::make_shared<Entry>();
  return slot;
}

void UserStore::recover() {
  journal_.recover(
      [this](StoredUser&& user) {
        auto entry = find_or_add(user.user);
        entry->data = std::move(user);
        entry->exists = true;
        ++users_count_;
      },
      [this](JournalRecord&& record) {
        auto entry = find_or_add(record.user);
        if (record.kind == JournalRecord::Kind::Append && !record.creates && !entry->exists)
          throw Error(fmt::format("{}: record {} appends to user '{}', which the log never created",
                                  journal_.directory(), record.lsn, record.user));
        apply(*entry, record, false);
      });
  snapshotter_ = std::thread([this] { snapshot_loop(); });
}

void UserStore::apply(Entry& entry, const JournalRecord& record, bool live) {
  if (record.kind == JournalRecord::Kind::Delete) {
    if (!entry.exists) return;
    entry.exists = false;
    entry.data = StoredUser{};
    forget(entry);
    --users_count_;
    return;
  }
  if (record.creates) {
    if (entry.exists) forget(entry);
    else ++users_count_;
    entry.data = StoredUser{record.user, record.t_start, record.features, {}};
    entry.exists = true;
  }
  auto& events = entry.data.events;
  bool merged = false;
  for (const Event& e : record.events) {
    if (record.insert && !events.empty() && e.time < events.back().time) {
      // After every event at the same time, as a file's ties keep their order.
      auto at = std::upper_bound(events.begin(), events.end(), e.time,
                                 [](double t, const Event& x) { return t < x.time; });
      events.insert(at, e);
      merged = true;
      continue;
    }
    events.push_back(e);
    if (live && entry.state && !merged) model_.observe(*entry.state, e);
  }
  if (merged) forget(entry);
}

AppendOutcome UserStore::append(const std::string& user, const AppendRequest& request) {
  std::shared_lock<std::shared_mutex> gate(gate_);
  auto entry = find_or_add(user);
  AppendOutcome outcome;
  {
    std::lock_guard<std::mutex> lock(entry->mutex);
    JournalRecord record;
    record.user = user;
    record.events = request.events;
    record.creates = !entry->exists;
    double t_start = 0, last = 0;
    if (record.creates) {
      double first = request.events.front().time;
      for (const auto& e : request.events) first = std::min(first, e.time);
      t_start = request.t_start.value_or(first);
      record.t_start = t_start;
      record.features = check_user_features(request.features, model_.schema(), "features");
      last = t_start;
    } else {
      t_start = entry->data.t_start;
      last = entry->data.events.empty() ? t_start : entry->data.events.back().time;
      if (request.t_start && *request.t_start != t_start)
        throw RequestError(400, fmt::format("t_start: the user exists with window start {}; it cannot change", t_start));
      if (request.features && *request.features != entry->data.features)
        throw RequestError(400, "features: the user exists; its features cannot change");
    }
    for (std::size_t i = 0; i < record.events.size(); ++i) {
      const double t = record.events[i].time;
      const std::string field = fmt::format("events[{}].time", i);
      if (t < t_start) throw RequestError(400, fmt::format("{}: {} precedes the user's window start {}", field, t, t_start));
      const double previous = i == 0 ? last : record.events[i - 1].time;
      if (t < previous) {
        if (!options_.allow_out_of_order)
          throw RequestError(409, fmt::format("{}: {} precedes the user's {} event at {} (send events in time order, or "
                                              "start the server with --allow-out-of-order)",
                                              field, t, i == 0 ? "last" : "previous", previous));
        record.insert = true;
      }
    }
    if (record.insert)
      std::stable_sort(record.events.begin(), record.events.end(),
                       [](const Event& a, const Event& b) { return a.time < b.time; });
    journal_.append(record);
    apply(*entry, record, true);
    events_ += record.events.size();
    if (entry->state) touch(user, *entry);
    outcome.created = record.creates;
    outcome.rebuilt = record.insert;
    outcome.num_events = entry->data.events.size();
    outcome.last_event_time = entry->data.events.back().time;
  }
  if (options_.snapshot_every > 0 && journal_.records_since_rotation() >= options_.snapshot_every)
    snapshot_cv_.notify_all();
  return outcome;
}

bool UserStore::with_state(const std::string& user, const std::function<void(const StoredUser&, UserState&)>& fn) {
  auto entry = find(user);
  if (!entry) return false;
  {
    std::lock_guard<std::mutex> lock(entry->mutex);
    if (!entry->exists) return false;
    if (!entry->state) {
      entry->state = model_.build_state(entry->data);
      ++rebuilds_;
      ++cached_;
    }
    touch(user, *entry);
    fn(entry->data, *entry->state);
  }
  enforce_budget();
  return true;
}

bool UserStore::with_user(const std::string& user, const std::function<void(const StoredUser&)>& fn) {
  auto entry = find(user);
  if (!entry) return false;
  std::lock_guard<std::mutex> lock(entry->mutex);
  if (!entry->exists) return false;
  fn(entry->data);
  return true;
}

bool UserStore::remove(const std::string& user) {
  std::shared_lock<std::shared_mutex> gate(gate_);
  auto entry = find(user);
  if (!entry) return false;
  std::lock_guard<std::mutex> lock(entry->mutex);
  if (!entry->exists) return false;
  JournalRecord record;
  record.kind = JournalRecord::Kind::Delete;
  record.user = user;
  journal_.append(record);
  apply(*entry, record, true);
  return true;
}

void UserStore::touch(const std::string& user, Entry& entry) {
  std::lock_guard<std::mutex> lock(lru_mutex_);
  if (entry.in_lru) {
    lru_.splice(lru_.begin(), lru_, entry.lru_position);
  } else {
    lru_.push_front(user);
    entry.lru_position = lru_.begin();
    entry.in_lru = true;
  }
}

// Drops an entry's state; the caller holds the entry's lock.
void UserStore::forget(Entry& entry) {
  if (!entry.state) return;
  entry.state.reset();
  --cached_;
  std::lock_guard<std::mutex> lock(lru_mutex_);
  if (entry.in_lru) {
    lru_.erase(entry.lru_position);
    entry.in_lru = false;
  }
}

void UserStore::enforce_budget() {
  for (;;) {
    std::string victim;
    {
      std::lock_guard<std::mutex> lock(lru_mutex_);
      if (lru_.size() <= options_.max_cached_states) return;
      victim = lru_.back();
    }
    auto entry = find(victim);
    if (!entry) return;
    std::lock_guard<std::mutex> lock(entry->mutex);
    {
      std::lock_guard<std::mutex> lru_lock(lru_mutex_);
      // Touched again meanwhile: no longer the least recently used.
      if (!entry->in_lru || std::next(entry->lru_position) != lru_.end()) continue;
    }
    forget(*entry);
    ++evictions_;
  }
}

std::uint64_t UserStore::snapshot() {
  std::lock_guard<std::mutex> one_at_a_time(snapshot_mutex_);
  std::vector<StoredUser> copies;
  std::uint64_t segment = 0;
  {
    std::unique_lock<std::shared_mutex> gate(gate_);
    segment = journal_.rotate();
    std::vector<std::shared_ptr<Entry>> entries;
    {
      std::shared_lock<std::shared_mutex> lock(map_mutex_);
      entries.reserve(users_.size());
      for (const auto& [name, entry] : users_) entries.push_back(entry);
    }
    copies.reserve(entries.size());
    for (const auto& entry : entries) {
      std::lock_guard<std::mutex> lock(entry->mutex);
      if (entry->exists) copies.push_back(entry->data);
    }
  }
  journal_.write_snapshot(segment, copies);
  ++snapshots_;
  return segment;
}

void UserStore::snapshot_loop() {
  std::unique_lock<std::mutex> lock(snapshot_wait_mutex_);
  while (!stopping_) {
    snapshot_cv_.wait_for(lock, std::chrono::milliseconds(200));
    if (stopping_ || options_.snapshot_every == 0 || journal_.records_since_rotation() < options_.snapshot_every)
      continue;
    lock.unlock();
    try {
      snapshot();
    } catch (const std::exception& e) {
      // The log still holds everything; the next attempt retries.
      std::cerr << "tpp serve: snapshot failed: " << e.what() << "\n";
    }
    lock.lock();
  }
}

UserStoreStats UserStore::stats() const {
  UserStoreStats s;
  s.users = users_count_.load();
  s.cached_states = cached_.load();
  s.evictions = evictions_.load();
  s.rebuilds = rebuilds_.load();
  s.events = events_.load();
  s.snapshots = snapshots_.load();
  return s;
}

}  // namespace tpp
