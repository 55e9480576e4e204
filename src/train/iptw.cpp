#include "tpp/train/iptw.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/data/sequence_source.h"
#include "tpp/data/summary.h"
#include "tpp/models/model.h"

namespace tpp {

namespace {

constexpr std::uint64_t kAnyCell = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t kAllCategories = -2;
constexpr int kMaxBins = 100;  // Proposition 3's rule is clamped here: finer bins hold single tuples

// bins^dims, or 0 when it does not fit below kAnyCell with room to spare.
std::uint64_t cell_count(int bins, int dims) {
  std::uint64_t n = 1;
  for (int d = 0; d < dims; ++d) {
    if (n > (std::uint64_t{1} << 62) / static_cast<std::uint64_t>(bins)) return 0;
    n *= static_cast<std::uint64_t>(bins);
  }
  return n;
}

}  // namespace

torch::Tensor embedding_projection(int64_t hidden, int dims, std::uint64_t seed) {
  if (hidden <= 0 || dims <= 0) throw Error("iptw: embedding and projection sizes must be positive");
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  if (hidden <= dims) return torch::eye(hidden, f64);
  // Gaussian columns made orthonormal, so the projection neither stretches nor mixes the scale of
  // the kept directions; the project's generator makes it the same on every platform and device.
  Rng rng(stream_seed(seed, 0x1b7a));
  std::vector<std::vector<double>> columns(dims, std::vector<double>(hidden));
  for (int c = 0; c < dims; ++c) {
    auto& v = columns[c];
    for (auto& x : v) x = rng.normal(0.0, 1.0);
    for (int p = 0; p < c; ++p) {
      double dot = 0.0;
      for (int64_t i = 0; i < hidden; ++i) dot += v[i] * columns[p][i];
      for (int64_t i = 0; i < hidden; ++i) v[i] -= dot * columns[p][i];
    }
    double norm = 0.0;
    for (double x : v) norm += x * x;
    norm = std::sqrt(norm);
    for (auto& x : v) x /= norm;
  }
  torch::Tensor out = torch::empty({hidden, dims}, f64);
  auto a = out.accessor<double, 2>();
  for (int c = 0; c < dims; ++c)
    for (int64_t i = 0; i < hidden; ++i) a[i][c] = columns[c][i];
  return out;
}

UnitCubeBins::UnitCubeBins(const torch::Tensor& points, int bins) : bins_(bins) {
  if (bins < 1) throw Error("iptw: bins must be at least 1");
  if (points.dim() != 2 || points.size(0) == 0) throw Error("iptw: no embedding points to bin");
  const auto p = points.to(torch::kFloat64).contiguous();
  const int64_t q = p.size(1);
  if (cell_count(bins, static_cast<int>(q)) == 0)
    throw Error(fmt::format("iptw: {} bins in {} dimensions is too many cells", bins, q));
  auto low = std::get<0>(p.min(0)), high = std::get<0>(p.max(0));
  for (int64_t d = 0; d < q; ++d) {
    low_.push_back(low[d].item<double>());
    width_.push_back(high[d].item<double>() - low_.back());
  }
}

std::uint64_t UnitCubeBins::cell(const double* point) const {
  std::uint64_t cell = 0, stride = 1;
  for (std::size_t d = 0; d < low_.size(); ++d) {
    std::int64_t u = 0;
    if (width_[d] > 0) {
      const double unit = (point[d] - low_[d]) / width_[d];
      u = static_cast<std::int64_t>(std::floor(unit * bins_));
      u = std::clamp<std::int64_t>(u, 0, bins_ - 1);  // the maximum itself falls in the last bin
    }
    cell += static_cast<std::uint64_t>(u) * stride;
    stride *= static_cast<std::uint64_t>(bins_);
  }
  return cell;
}

std::size_t TransitionTable::KeyHash::operator()(const Key& k) const {
  // SplitMix64-style mixing of the three fields: cells are small consecutive integers, so an
  // identity hash would crowd the buckets.
  auto mix = [](std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  return static_cast<std::size_t>(mix(k.cell ^ mix(k.previous ^ mix(static_cast<std::uint64_t>(k.category)))));
}

void TransitionTable::add(std::uint64_t cell, std::uint64_t previous, int category) {
  if (category < 0) throw Error("iptw: a transition without a category");
  for (std::int64_t r : {static_cast<std::int64_t>(category), kAllCategories}) {
    ++counts_[{cell, previous, r}];
    ++counts_[{kAnyCell, previous, r}];
  }
  ++transitions_;
}

std::uint64_t TransitionTable::count(const Key& key) const {
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

double TransitionTable::log_conditional(std::uint64_t cell, std::uint64_t previous, int category) const {
  const std::uint64_t joint = count({cell, previous, category}), origin = count({kAnyCell, previous, category});
  if (joint == 0) throw Error("iptw: transition not in the table");
  return std::log(static_cast<double>(joint)) - std::log(static_cast<double>(origin));
}

double TransitionTable::log_marginal(std::uint64_t cell, std::uint64_t previous) const {
  const std::uint64_t joint = count({cell, previous, kAllCategories}),
                      origin = count({kAnyCell, previous, kAllCategories});
  if (joint == 0) throw Error("iptw: transition not in the table");
  return std::log(static_cast<double>(joint)) - std::log(static_cast<double>(origin));
}

std::size_t TransitionTable::memory_bytes() const {
  // libstdc++ nodes: next pointer, key, count and the cached hash.
  const std::size_t node = sizeof(void*) + sizeof(Key) + sizeof(std::uint64_t) + sizeof(std::size_t);
  return counts_.size() * node + counts_.bucket_count() * sizeof(void*);
}

TransitionTable count_transitions(const std::vector<CellTrajectory>& trajectories) {
  TransitionTable table;
  for (const auto& t : trajectories)
    for (std::size_t r = 1; r < t.cells.size(); ++r) table.add(t.cells[r], t.cells[r - 1], t.category);
  return table;
}

std::vector<double> iptw_log_weights(const TransitionTable& table, const CellTrajectory& trajectory, bool stabilized) {
  std::vector<double> log_w(trajectory.cells.size(), 0.0);
  for (std::size_t r = 1; r < trajectory.cells.size(); ++r) {
    const auto u = trajectory.cells[r], previous = trajectory.cells[r - 1];
    double step = -table.log_conditional(u, previous, trajectory.category);
    if (stabilized) step += table.log_marginal(u, previous);
    log_w[r] = log_w[r - 1] + step;
  }
  return log_w;
}

std::vector<std::vector<double>> finalize_weights(const std::vector<std::vector<double>>& log_weights,
                                                  const std::vector<std::vector<bool>>& counted, double truncate) {
  if (!(truncate > 0 && truncate <= 1)) throw Error("iptw: truncate must be in (0, 1]");
  std::vector<double> kept;
  for (std::size_t k = 0; k < log_weights.size(); ++k)
    for (std::size_t j = 0; j < log_weights[k].size(); ++j)
      if (counted[k][j]) kept.push_back(log_weights[k][j]);
  double cap = std::numeric_limits<double>::infinity(), log_mean = 0.0;
  if (!kept.empty()) {
    // Nearest-rank quantile: truncate = 1 is the maximum, which changes nothing.
    std::vector<double> sorted = kept;
    const auto rank = static_cast<std::size_t>(std::ceil(truncate * static_cast<double>(sorted.size())));
    const std::size_t index = std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(index), sorted.end());
    cap = sorted[index];
    // log of the mean of the truncated counted weights, computed stably in log space: the raw
    // products span hundreds of orders of magnitude over long sequences.
    double top = -std::numeric_limits<double>::infinity();
    for (double v : kept) top = std::max(top, std::min(v, cap));
    double sum = 0.0;
    for (double v : kept) sum += std::exp(std::min(v, cap) - top);
    log_mean = top + std::log(sum) - std::log(static_cast<double>(kept.size()));
  }
  std::vector<std::vector<double>> out(log_weights.size());
  for (std::size_t k = 0; k < log_weights.size(); ++k) {
    out[k].resize(log_weights[k].size());
    for (std::size_t j = 0; j < log_weights[k].size(); ++j) out[k][j] = std::exp(std::min(log_weights[k][j], cap) - log_mean);
  }
  return out;
}

nlohmann::json WeightSummary::to_json() const {
  return {{"count", count}, {"min", min}, {"median", median}, {"max", max}, {"ess", ess}};
}

WeightSummary summarize_weights(const std::vector<std::vector<double>>& weights,
                                const std::vector<std::vector<bool>>& counted) {
  std::vector<double> kept;
  double sum = 0.0, sum_sq = 0.0;
  for (std::size_t k = 0; k < weights.size(); ++k)
    for (std::size_t j = 0; j < weights[k].size(); ++j)
      if (counted[k][j]) {
        kept.push_back(weights[k][j]);
        sum += weights[k][j];
        sum_sq += weights[k][j] * weights[k][j];
      }
  const SummaryStats stats = summary_stats(kept);
  WeightSummary s;
  s.count = stats.count;
  s.min = stats.min;
  s.median = stats.median;
  s.max = stats.max;
  s.ess = sum_sq > 0 ? sum * sum / sum_sq : 0.0;
  return s;
}

int proposition3_bins(const std::vector<std::vector<double>>& points, int dims, std::size_t categories) {
  constexpr double kPi = 3.14159265358979323846;
  std::size_t m = 0;
  for (const auto& rows : points) m += rows.size() / dims > 0 ? rows.size() / dims - 1 : 0;
  if (m == 0 || categories == 0) return 1;
  const double per_category = static_cast<double>(m) / static_cast<double>(categories);
  int bins = 1;
  for (int d = 0; d < dims; ++d) {
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto& rows : points)
      for (std::size_t r = 0; r * dims < rows.size(); ++r) {
        low = std::min(low, rows[r * dims + d]);
        high = std::max(high, rows[r * dims + d]);
      }
    if (!(high > low)) continue;  // a constant dimension needs one bin
    // Moments of the transition pairs (x, y) = (h_{r−1}, h_r) in unit-cube coordinates.
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (const auto& rows : points)
      for (std::size_t r = 1; r * dims < rows.size(); ++r) {
        const double x = (rows[(r - 1) * dims + d] - low) / (high - low), y = (rows[r * dims + d] - low) / (high - low);
        sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
      }
    const double n = static_cast<double>(m);
    const double vx = sxx / n - (sx / n) * (sx / n), vy = syy / n - (sy / n) * (sy / n);
    if (!(vx > 0 && vy > 0)) continue;
    const double rho = std::clamp((sxy / n - (sx / n) * (sy / n)) / std::sqrt(vx * vy), -1.0, 1.0);
    const double sigma = std::sqrt(0.5 * (vx + vy));
    const double delta = sigma * std::pow(24 * kPi * kPi * (1 - rho) * std::pow(1 + rho, 3) / per_category, 0.2);
    const int b = delta > 0 ? static_cast<int>(std::lround(std::min(1.0 / delta, double(kMaxBins)))) : kMaxBins;
    bins = std::max(bins, b);
  }
  return std::clamp(bins, 1, kMaxBins);
}

nlohmann::json IptwWeights::to_json() const {
  nlohmann::json j = summary.to_json();
  j["bins"] = bins;
  j["table_entries"] = table_entries;
  return j;
}

void check_iptw_categories(const SequenceSource& train) {
  auto check = [](const Sequence& seq) {
    if (seq.category < 0) throw Error("training user '" + seq.user + "' has no category");
  };
  if (const Dataset* data = train.in_memory()) {
    for (const auto& seq : data->sequences) check(seq);
    return;
  }
  // A store is read a piece at a time.
  for (const auto& indices : length_sorted_batch_indices(train, 4096))
    for (const auto& seq : train.load(indices).sequences) check(seq);
}

IptwWeights fit_iptw_weights(Model& model, const Dataset& train, const IptwConfig& config, const Context& ctx) {
  return fit_iptw_weights(model, DatasetSource(train), config, ctx);
}

IptwWeights fit_iptw_weights(Model& model, const SequenceSource& train, const IptwConfig& config, const Context& ctx) {
  // Projected embeddings of every sequence, (n + 1) rows of q' values each, with its category and
  // which of its intervals an action closes; the sequences are read 256 at a time, so a store is
  // never held whole (what is kept is 8 bytes per event and dimension, plus the weights). A source
  // in memory is batched in place, without copying its sequences.
  const Dataset* whole = train.in_memory();
  const std::size_t N = train.size();
  std::vector<std::vector<double>> points(N);
  std::vector<int> category(N, -1);
  std::vector<std::vector<bool>> counted(N);
  int q = 0;
  {
    const bool was_training = model.is_training();
    model.eval();
    torch::NoGradGuard guard;
    torch::Tensor projection;
    for (const auto& indices : length_sorted_batch_indices(train, 256)) {
      const Dataset part = whole ? Dataset{} : train.load(indices);
      Batch b = whole ? make_batch(*whole, indices, ctx) : make_batch(part, ctx);
      torch::Tensor h = model.embedding(model.encode(b)).to(torch::kCPU, torch::kFloat64);
      if (!projection.defined()) {
        projection = embedding_projection(h.size(2), config.dims, config.seed);
        q = static_cast<int>(projection.size(1));
      }
      const torch::Tensor z = h.matmul(projection).contiguous();
      auto za = z.accessor<double, 3>();
      for (std::size_t b_i = 0; b_i < indices.size(); ++b_i) {
        const Sequence& seq = whole ? whole->sequences[indices[b_i]] : part.sequences[b_i];
        if (seq.category < 0)
          throw Error("iptw: training user '" + seq.user + "' has no category (every training user needs one)");
        const std::size_t k = indices[b_i], n = seq.events.size();
        category[k] = seq.category;
        counted[k].assign(n + 1, false);
        for (std::size_t j = 0; j < n; ++j) counted[k][j] = !seq.events[j].is_stimulus;
        auto& rows = points[k];
        rows.reserve((n + 1) * q);
        for (std::size_t r = 0; r <= n; ++r)
          for (int d = 0; d < q; ++d) rows.push_back(za[b_i][r][d]);
      }
    }
    model.train(was_training);
  }
  std::vector<double> all;
  for (const auto& rows : points) all.insert(all.end(), rows.begin(), rows.end());
  const torch::Tensor cube_points =
      torch::from_blob(all.data(), {static_cast<int64_t>(all.size() / q), q}, torch::kFloat64).clone();

  std::vector<int> seen = category;
  std::sort(seen.begin(), seen.end());
  const auto categories = static_cast<std::size_t>(std::unique(seen.begin(), seen.end()) - seen.begin());

  IptwWeights out;
  out.bins = config.auto_bins ? proposition3_bins(points, q, categories) : config.bins;
  const UnitCubeBins cube(cube_points, out.bins);
  std::vector<CellTrajectory> trajectories(N);
  for (std::size_t k = 0; k < points.size(); ++k) {
    trajectories[k].category = category[k];
    for (std::size_t r = 0; r * q < points[k].size(); ++r) trajectories[k].cells.push_back(cube.cell(&points[k][r * q]));
  }
  const TransitionTable table = count_transitions(trajectories);
  out.table_entries = table.entries();

  std::vector<std::vector<double>> log_w(trajectories.size());
  for (std::size_t k = 0; k < trajectories.size(); ++k) log_w[k] = iptw_log_weights(table, trajectories[k], config.stabilized);
  out.weight = finalize_weights(log_w, counted, config.truncate);
  out.summary = summarize_weights(out.weight, counted);
  return out;
}

torch::Tensor batch_weights(const Batch& batch, const std::vector<std::vector<double>>& weights) {
  const int64_t B = batch.batch_size(), L = batch.max_length();
  torch::Tensor out = torch::zeros({B, L + 1}, torch::kFloat64);
  auto a = out.accessor<double, 2>();
  const torch::Tensor ids = batch.sequence_id.to(torch::kCPU);
  const torch::Tensor lengths = batch.length.to(torch::kCPU);
  for (int64_t b = 0; b < B; ++b) {
    const auto& w = weights.at(static_cast<std::size_t>(ids[b].item<int64_t>()));
    const int64_t n = lengths[b].item<int64_t>();
    if (static_cast<int64_t>(w.size()) != n + 1) throw Error("iptw: stored weights do not match the batch");
    for (int64_t j = 0; j <= n; ++j) a[b][j] = w[j];
  }
  return out.to(batch.weight.options());
}

}  // namespace tpp
