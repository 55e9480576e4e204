#include "tpp/core/rng.h"

#include <numeric>

namespace tpp {

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

int Rng::categorical(const std::vector<double>& weights) {
  double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double u = uniform() * total;
  double acc = 0.0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    acc += weights[k];
    if (u < acc) return static_cast<int>(k);
  }
  // Rounding left u at the total: take the last type with positive weight.
  for (std::size_t k = weights.size(); k-- > 0;)
    if (weights[k] > 0) return static_cast<int>(k);
  return 0;
}

}  // namespace tpp
