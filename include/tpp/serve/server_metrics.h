#pragma once
// Request counters and latency histograms of the server, written in Prometheus' text exposition
// format (https://prometheus.io/docs/instrumenting/exposition_formats/) with the store's gauges.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "tpp/serve/user_store.h"

namespace tpp {

class ServerMetrics {
 public:
  // Upper bounds of the latency buckets, seconds (a last +Inf bucket is implied).
  static constexpr std::array<double, 14> kBuckets{50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3,
                                                   10e-3, 20e-3, 50e-3, 0.1, 0.2, 0.5, 1.0};

  // One answered request of `route` (a pattern such as "/v1/users/{id}/events").
  void record(const std::string& route, int status, double seconds);
  std::string prometheus(const UserStoreStats& store, std::uint64_t journal_bytes, std::uint64_t journal_syncs) const;

 private:
  struct Route {
    std::map<int, std::uint64_t> by_status;
    std::array<std::uint64_t, kBuckets.size() + 1> buckets{};
    double seconds{0};
    std::uint64_t count{0};
  };
  mutable std::mutex mutex_;
  std::map<std::string, Route> routes_;
};

}  // namespace tpp
