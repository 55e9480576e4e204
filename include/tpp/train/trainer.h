#pragma once
// Mini-batch training of any registered model: Adam with gradient clipping over shuffled seeded
// batches (or full-batch L-BFGS via fit_mle), early stopping on dev LL/event with best-model
// selection, and atomic per-epoch checkpoints from which a killed run resumes bit-identically.
// Keys and semantics: docs/training.md.
#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_fields.h"
#include "tpp/core/context.h"
#include "tpp/data/dataset.h"
#include "tpp/data/sequence_source.h"
#include "tpp/models/model.h"
#include "tpp/train/data_parallel.h"
#include "tpp/train/iptw.h"
#include "tpp/train/objective.h"

namespace tpp {

// The "train" object of a model config file.
struct TrainConfig {
  std::string optimizer{"adam"};  // "adam" or "lbfgs" (full batch, fit_mle)
  double lr{1e-3};
  double weight_decay{0.0};
  int batch_size{32};
  // Batches per length-sorting window (bucketed_batch_indices): batches hold sequences of similar
  // length, so little of a step is padding. 0 or 1: plain shuffled batches.
  int bucket_window{16};
  int epochs{30};
  double clip{1.0};               // max global gradient norm; 0 turns clipping off
  int patience{5};                // epochs without dev improvement before stopping; 0: never stop
  std::string integral{"mc"};     // training integral: "mc", "gl" or "exact"
  int mc_points{20};              // Monte Carlo samples (or GL nodes for "gl") per interval
  int eval_points{32};            // Gauss–Legendre nodes per interval for dev evaluation
  double loss_ll{1.0};            // ExPERT eq. (6) weights λ_ll, λ_type, λ_time
  double loss_type{0.0};
  double loss_time{0.0};
  std::uint64_t seed{1};
  int max_iterations{500};        // lbfgs only
  double tolerance{1e-10};        // lbfgs only
  // The "iptw" object (docs/iptw.md): counterfactual re-weighting by the users' categories.
  // refit_every 0 (the default) never refits, so every weight stays 1: the unweighted model.
  nlohmann::json iptw_bins = 10;  // (not {10}: a JSON array) bins per embedding dimension (1/δ), or "auto" (Proposition 3)
  int iptw_refit_every{0};        // η: weights refitted after every η-th epoch; 0: never
  bool iptw_stabilized{true};     // stabilised weights (Remark 1) instead of plain ones
  int iptw_dims{1};               // q: embedding dimensions binned (a fixed projection when wider)
  double iptw_truncate{0.99};     // weights above this quantile are set to it; 1: no truncation

  // Every key with its default, check and doc (docs/training.md's table).
  static const ConfigFields<TrainConfig>& fields();
  // The keys of the "iptw" object (docs/iptw.md's table).
  static const ConfigFields<TrainConfig>& iptw_fields();
  // Reads config["train"] (absent: all defaults); unknown keys are errors. `default_seed` is used
  // when "seed" is not given.
  static TrainConfig from_json(const nlohmann::json& train, std::uint64_t default_seed = 1);
  nlohmann::json to_json() const;
  LossWeights loss_weights() const;
  // The training integral of an epoch: Monte Carlo nodes seeded per (seed, epoch, sequence).
  IntegralOptions training_integral(int epoch) const;
  IntegralOptions evaluation_integral() const;  // Exact where the model has it, else Gauss–Legendre
  IptwConfig iptw() const;                       // the "iptw" object for the estimator
};

struct EpochRecord {
  int epoch{0};                     // 1-based
  double loss{0.0};                 // mean training objective per action over the epoch
  double dev_ll_per_event{std::numeric_limits<double>::quiet_NaN()};  // NaN without dev data
  double events_per_second{0.0};
  double seconds{0.0};
  bool improved{false};             // new best dev score
  nlohmann::json iptw;              // the IPTW refit after this epoch (IptwWeights::to_json); null: none
  nlohmann::json to_json() const;
};

struct TrainResult {
  std::vector<EpochRecord> history;  // every epoch run, including those before a resume
  int best_epoch{0};                 // epoch whose parameters the model holds at the end
  double best_dev_ll_per_event{std::numeric_limits<double>::quiet_NaN()};
  bool stopped_early{false};
  bool finished{false};              // false when stopped by TrainerOptions::stop_after_epochs
};

struct TrainerOptions {
  std::string checkpoint;            // checkpoint file, written every epoch; empty: none
  bool resume{false};                // continue from `checkpoint` when it exists
  std::ostream* json_log{nullptr};   // one JSON object per epoch
  std::ostream* progress{nullptr};   // progress lines when ctx.progress (CLI: stderr)
  int stop_after_epochs{0};          // > 0: return after this many epochs of this call (tests a kill)
  // Data-parallel training (train/data_parallel.h): this process is one rank of `group` and trains
  // on its shard of every global batch; gradients, loss and dev likelihood are summed over the
  // group, and only rank 0 writes the checkpoint. nullptr: one process, the whole batch.
  Collectives* group{nullptr};
};

// Σ w·(log λ − Λ) / Σ w over actions on a dataset (per-interval weights; 1 by default), without
// gradients, in eval mode.
double log_likelihood_per_event(Model& model, const Dataset& data, const IntegralOptions& integral,
                                const Context& ctx, int batch_size = 256);
double log_likelihood_per_event(Model& model, const SequenceSource& data, const IntegralOptions& integral,
                                const Context& ctx, int batch_size = 256);

class Trainer {
 public:
  Trainer(ModelPtr model, TrainConfig config, Context ctx, TrainerOptions options = {});
  // Trains on `train`, early-stopping on `dev` when given (nullptr: runs every epoch and keeps the
  // last). The model ends with the selected parameters, in eval mode.
  TrainResult fit(const Dataset& train, const Dataset* dev = nullptr);
  // The same from sources read batch by batch (e.g. event stores, data/store_source.h). IPTW
  // needs the training sequences in memory (SequenceSource::in_memory).
  TrainResult fit(const SequenceSource& train, const SequenceSource* dev = nullptr);

 private:
  TrainResult fit_lbfgs(const SequenceSource& train, const SequenceSource* dev);

  ModelPtr model_;
  TrainConfig config_;
  Context ctx_;
  TrainerOptions options_;
};

// Writes `archive` to `path` through a temporary file and a rename, so a failed write leaves the
// previous file intact. Throws tpp::Error.
void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace tpp
