#pragma once
// Where training and evaluation read their sequences from, one batch at a time: a Dataset in
// memory (DatasetSource) or an event store on disk (data/store_source.h). The trainer asks only
// for the sequences' lengths and for batches of given indices, so a source need never hold more
// than a batch's sequences.
#include <cstddef>
#include <vector>

#include "tpp/core/context.h"
#include "tpp/data/batch.h"
#include "tpp/data/dataset.h"

namespace tpp {

class SequenceSource {
 public:
  virtual ~SequenceSource() = default;
  // Type ids and names of every batch (a model's schema once aligned).
  virtual const Schema& schema() const = 0;
  // File units to model units of every batch (saved with a model trained on the source).
  virtual TimeScale time_scale() const = 0;
  virtual std::size_t size() const = 0;
  virtual std::size_t length(std::size_t i) const = 0;  // events of sequence i
  virtual std::size_t num_actions() const = 0;
  // Sequences `indices`, in that order, as a Dataset with the source's schema and time scale.
  virtual Dataset load(const std::vector<std::size_t>& indices) const = 0;
  // Their padded batch (make_batch), Batch::sequence_id holding the indices into this source.
  virtual Batch batch(const std::vector<std::size_t>& indices, const Context& ctx) const;
  // The whole Dataset when the source holds it in memory; nullptr otherwise. What needs every
  // sequence at once (IPTW's refits) works on this.
  virtual const Dataset* in_memory() const { return nullptr; }

  std::vector<std::size_t> lengths() const;
};

// A Dataset in memory, not copied: it must outlive the source.
class DatasetSource : public SequenceSource {
 public:
  explicit DatasetSource(const Dataset& data);
  const Schema& schema() const override { return data_.schema; }
  TimeScale time_scale() const override { return data_.time_scale; }
  std::size_t size() const override { return data_.sequences.size(); }
  std::size_t length(std::size_t i) const override { return data_.sequences[i].events.size(); }
  std::size_t num_actions() const override { return actions_; }
  Dataset load(const std::vector<std::size_t>& indices) const override;
  Batch batch(const std::vector<std::size_t>& indices, const Context& ctx) const override;
  const Dataset* in_memory() const override { return &data_; }

 private:
  const Dataset& data_;
  std::size_t actions_;
};

// Evaluation batches as length_sorted_batch_indices cuts them: the sequences in order of length
// (stable), batch_size at a time.
std::vector<std::vector<std::size_t>> length_sorted_batch_indices(const SequenceSource& source, std::size_t batch_size);

}  // namespace tpp
