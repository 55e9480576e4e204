#include "tpp/data/batch.h"

#include <algorithm>
#include <numeric>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"

namespace tpp {

namespace {
torch::Tensor move(const torch::Tensor& t, const Context& ctx, bool floating) {
  if (!t.defined()) return t;
  return floating ? t.to(ctx.device, ctx.dtype) : t.to(ctx.device);
}

torch::Tensor narrow_opt(const torch::Tensor& t, int64_t begin, int64_t count) {
  return t.defined() ? t.narrow(0, begin, count) : t;
}
}  // namespace

Batch Batch::to(const Context& ctx) const {
  Batch b = *this;
  b.time = move(time, ctx, true);
  b.dtime = move(dtime, ctx, true);
  b.span = move(span, ctx, true);
  b.t_end = move(t_end, ctx, true);
  b.type = move(type, ctx, false);
  b.is_stimulus = move(is_stimulus, ctx, false);
  b.mask = move(mask, ctx, false);
  b.action_mask = move(action_mask, ctx, false);
  b.length = move(length, ctx, false);
  b.category = move(category, ctx, false);
  b.weight = move(weight, ctx, true);
  b.sequence_id = move(sequence_id, ctx, false);
  b.user_features = move(user_features, ctx, true);
  b.event_meta = move(event_meta, ctx, true);
  b.target_mask = move(target_mask, ctx, false);
  return b;
}

Batch Batch::slice(int64_t begin, int64_t end) const {
  int64_t count = end - begin;
  Batch b = *this;
  int64_t L = count > 0 ? length.narrow(0, begin, count).max().item<int64_t>() : 0;
  auto rows = [&](const torch::Tensor& t) { return narrow_opt(t, begin, count); };
  auto cols = [&](const torch::Tensor& t, int64_t n) { return t.defined() ? rows(t).narrow(1, 0, n) : t; };
  b.time = cols(time, L);
  b.dtime = cols(dtime, L);
  b.span = cols(span, L + 1);
  b.t_end = rows(t_end);
  b.type = cols(type, L);
  b.is_stimulus = cols(is_stimulus, L);
  b.mask = cols(mask, L);
  b.action_mask = cols(action_mask, L);
  b.length = rows(length);
  b.category = rows(category);
  b.weight = cols(weight, L + 1);
  b.sequence_id = rows(sequence_id);
  b.user_features = rows(user_features);
  b.event_meta = cols(event_meta, L);
  b.target_mask = cols(target_mask, L);
  return b;
}

torch::Tensor Batch::targets() const {
  return target_mask.defined() ? target_mask & action_mask : action_mask;
}

Batch make_batch(const Dataset& data, const std::vector<std::size_t>& indices, const Context& ctx) {
  const auto& schema = data.schema;
  const int64_t B = static_cast<int64_t>(indices.size());
  int64_t L = 0;
  for (auto i : indices) L = std::max<int64_t>(L, static_cast<int64_t>(data.sequences.at(i).events.size()));
  const int K = schema.num_action_types;
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto i64 = torch::TensorOptions().dtype(torch::kLong);
  auto bln = torch::TensorOptions().dtype(torch::kBool);

  torch::Tensor time = torch::zeros({B, L}, f64), dtime = torch::zeros({B, L}, f64);
  torch::Tensor span = torch::zeros({B, L + 1}, f64), t_end = torch::zeros({B}, f64);
  torch::Tensor type = torch::zeros({B, L}, i64), is_stim = torch::zeros({B, L}, bln);
  torch::Tensor mask = torch::zeros({B, L}, bln), length = torch::zeros({B}, i64);
  torch::Tensor category = torch::full({B}, -1, i64), weight = torch::zeros({B, L + 1}, f64);
  torch::Tensor sequence_id = torch::zeros({B}, i64);
  torch::Tensor user_features, event_meta;
  if (schema.user_feature_dim > 0) user_features = torch::zeros({B, schema.user_feature_dim}, f64);
  if (schema.event_meta_dim > 0) event_meta = torch::zeros({B, L, schema.event_meta_dim}, f64);

  auto time_a = time.accessor<double, 2>();
  auto dtime_a = dtime.accessor<double, 2>();
  auto span_a = span.accessor<double, 2>();
  auto type_a = type.accessor<int64_t, 2>();
  auto stim_a = is_stim.accessor<bool, 2>();
  auto mask_a = mask.accessor<bool, 2>();
  auto weight_a = weight.accessor<double, 2>();
  auto t_end_a = t_end.accessor<double, 1>();
  auto length_a = length.accessor<int64_t, 1>();
  auto category_a = category.accessor<int64_t, 1>();
  auto id_a = sequence_id.accessor<int64_t, 1>();
  for (int64_t b = 0; b < B; ++b) {
    const Sequence& seq = data.sequences[indices[b]];
    const double t0 = data.time_scale.to_model(seq.t_start);
    const double end = data.time_scale.to_model(seq.t_end) - t0;
    const int64_t n = static_cast<int64_t>(seq.events.size());
    t_end_a[b] = end;
    length_a[b] = n;
    category_a[b] = seq.category;
    id_a[b] = static_cast<int64_t>(indices[b]);
    for (int64_t i = 0; i <= n; ++i) weight_a[b][i] = 1.0;
    double prev = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const Event& e = seq.events[i];
      double t = data.time_scale.to_model(e.time) - t0;
      time_a[b][i] = t;
      dtime_a[b][i] = t - prev;
      span_a[b][i] = t - prev;
      type_a[b][i] = e.is_stimulus ? K + e.type : e.type;
      stim_a[b][i] = e.is_stimulus;
      mask_a[b][i] = true;
      prev = t;
      if (event_meta.defined() && !e.meta.empty())
        event_meta[b][i] = torch::tensor(std::vector<double>(e.meta.begin(), e.meta.end()), f64);
    }
    span_a[b][n] = end - prev;
    for (int64_t i = n; i < L; ++i) time_a[b][i] = end;
    if (user_features.defined() && !seq.features.empty())
      user_features[b] = torch::tensor(std::vector<double>(seq.features.begin(), seq.features.end()), f64);
  }

  Batch batch;
  batch.time = time;
  batch.dtime = dtime;
  batch.span = span;
  batch.t_end = t_end;
  batch.type = type;
  batch.is_stimulus = is_stim;
  batch.mask = mask;
  // An action at the window start (the first event of every sequence read without a window) has no
  // interval before it: its density would be λ(t_start) from the empty history with nothing to
  // compensate. It conditions what follows but is neither a likelihood term nor a target.
  batch.action_mask = mask & ~is_stim & (time > 0);
  batch.length = length;
  batch.category = category;
  batch.weight = weight;
  batch.sequence_id = sequence_id;
  batch.user_features = user_features;
  batch.event_meta = event_meta;
  batch.num_action_types = schema.num_action_types;
  batch.num_stimulus_types = schema.num_stimulus_types;
  return batch.to(ctx);
}

Batch make_batch(const Dataset& data, const Context& ctx) {
  std::vector<std::size_t> all(data.sequences.size());
  std::iota(all.begin(), all.end(), 0);
  return make_batch(data, all, ctx);
}

std::vector<std::vector<std::size_t>> batch_indices(std::size_t n, std::size_t batch_size, bool shuffle,
                                                    std::uint64_t seed) {
  if (batch_size == 0) throw Error("batch_size must be positive");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    Rng rng(seed);
    rng.shuffle(order);
  }
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < n; i += batch_size)
    out.emplace_back(order.begin() + i, order.begin() + std::min(n, i + batch_size));
  return out;
}

std::vector<std::vector<std::size_t>> length_sorted_batch_indices(const Dataset& data, std::size_t batch_size) {
  if (batch_size == 0) throw Error("batch_size must be positive");
  std::vector<std::size_t> order(data.sequences.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return data.sequences[a].events.size() < data.sequences[b].events.size();
  });
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < order.size(); i += batch_size)
    out.emplace_back(order.begin() + i, order.begin() + std::min(order.size(), i + batch_size));
  return out;
}

std::vector<std::vector<std::size_t>> bucketed_batch_indices(const std::vector<std::size_t>& lengths,
                                                             std::size_t batch_size, std::size_t window,
                                                             std::uint64_t seed) {
  if (window <= 1) return batch_indices(lengths.size(), batch_size, true, seed);
  if (batch_size == 0) throw Error("batch_size must be positive");
  const std::size_t n = lengths.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  rng.shuffle(order);
  const std::size_t pool = batch_size * window;
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t begin = 0; begin < n; begin += pool) {
    const auto first = order.begin() + begin, last = order.begin() + std::min(n, begin + pool);
    std::stable_sort(first, last, [&](std::size_t a, std::size_t b) { return lengths[a] < lengths[b]; });
    for (auto it = first; it < last; it += std::min<std::ptrdiff_t>(batch_size, last - it))
      out.emplace_back(it, it + std::min<std::ptrdiff_t>(batch_size, last - it));
  }
  rng.shuffle(out);
  return out;
}

}  // namespace tpp
