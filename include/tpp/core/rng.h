#pragma once
// Explicitly seeded scalar random numbers for simulators and splits.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace tpp {

// Seed of the index-th independent stream derived from `seed` (SplitMix64 finaliser), so sample
// or sequence i does not depend on how many are drawn, and nearby seeds give unrelated streams.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t index);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }  // [0, 1)
  double exponential(double rate) { return std::exponential_distribution<double>(rate)(engine_); }
  double normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(engine_); }
  // Index drawn with probability proportional to weights (non-negative, positive sum).
  int categorical(const std::vector<double>& weights);
  template <class T>
  void shuffle(std::vector<T>& v) { std::shuffle(v.begin(), v.end(), engine_); }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace tpp
