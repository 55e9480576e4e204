#include "tpp/serve/server_metrics.h"

#include <fmt/format.h>

namespace tpp {

void ServerMetrics::record(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  Route& r = routes_[route];
  ++r.by_status[status];
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++r.buckets[b];
  r.seconds += seconds;
  ++r.count;
}

std::string ServerMetrics::prometheus(const UserStoreStats& store, std::uint64_t journal_bytes,
                                      std::uint64_t journal_syncs) const {
  std::string out;
  out += "# HELP tpp_requests_total Requests answered, by route and HTTP status.\n";
  out += "# TYPE tpp_requests_total counter\n";
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [route, r] : routes_)
    for (const auto& [status, n] : r.by_status)
      out += fmt::format("tpp_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", route, status, n);
  out += "# HELP tpp_request_duration_seconds Time from a parsed request to its reply, by route.\n";
  out += "# TYPE tpp_request_duration_seconds histogram\n";
  for (const auto& [route, r] : routes_) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += r.buckets[b];
      out += fmt::format("tpp_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route, kBuckets[b], cumulative);
    }
    cumulative += r.buckets.back();
    out += fmt::format("tpp_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, cumulative);
    out += fmt::format("tpp_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, r.seconds);
    out += fmt::format("tpp_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, r.count);
  }
  auto gauge = [&](const char* name, const char* type, const char* help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
  };
  gauge("tpp_users", "gauge", "Users known to the server.", static_cast<double>(store.users));
  gauge("tpp_user_states_cached", "gauge", "User states held in memory (the LRU).", static_cast<double>(store.cached_states));
  gauge("tpp_user_state_evictions_total", "counter", "States dropped by the LRU budget.", static_cast<double>(store.evictions));
  gauge("tpp_user_state_rebuilds_total", "counter", "States built from stored events.", static_cast<double>(store.rebuilds));
  gauge("tpp_events_appended_total", "counter", "Events acknowledged since start.", static_cast<double>(store.events));
  gauge("tpp_snapshots_total", "counter", "Snapshots written since start.", static_cast<double>(store.snapshots));
  gauge("tpp_journal_bytes_total", "counter", "Bytes appended to the write-ahead log since start.", static_cast<double>(journal_bytes));
  gauge("tpp_journal_syncs_total", "counter", "fdatasync calls on the write-ahead log since start.", static_cast<double>(journal_syncs));
  return out;
}

}  // namespace tpp
