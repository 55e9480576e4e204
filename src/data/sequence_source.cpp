#include "tpp/data/sequence_source.h"

#include <algorithm>
#include <numeric>

#include "tpp/core/error.h"

namespace tpp {

Batch SequenceSource::batch(const std::vector<std::size_t>& indices, const Context& ctx) const {
  const Dataset part = load(indices);
  std::vector<std::size_t> all(part.sequences.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  Batch b = make_batch(part, all, ctx);
  std::vector<int64_t> ids(indices.begin(), indices.end());
  // Monte Carlo nodes and IPTW weights follow the sequence's index in the source, not in the batch.
  b.sequence_id = torch::tensor(ids, torch::kLong).to(b.sequence_id.device());
  return b;
}

std::vector<std::size_t> SequenceSource::lengths() const {
  std::vector<std::size_t> out(size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = length(i);
  return out;
}

DatasetSource::DatasetSource(const Dataset& data) : data_(data), actions_(data.num_actions()) {}

Dataset DatasetSource::load(const std::vector<std::size_t>& indices) const {
  Dataset part;
  part.schema = data_.schema;
  part.time_scale = data_.time_scale;
  for (auto i : indices) part.sequences.push_back(data_.sequences.at(i));
  return part;
}

Batch DatasetSource::batch(const std::vector<std::size_t>& indices, const Context& ctx) const {
  return make_batch(data_, indices, ctx);
}

std::vector<std::vector<std::size_t>> length_sorted_batch_indices(const SequenceSource& source, std::size_t batch_size) {
  if (batch_size == 0) throw Error("batch_size must be positive");
  const std::vector<std::size_t> lengths = source.lengths();
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lengths[a] < lengths[b]; });
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t begin = 0; begin < order.size(); begin += batch_size)
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                         order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), begin + batch_size)));
  return batches;
}

}  // namespace tpp
