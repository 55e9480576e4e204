#pragma once
// tpp train --config cfg.json --train a.jsonl [--dev b.jsonl] -o model.tpp [--resume] [--json]
//           [--time-scale auto|none|F] [--world-size N --rank R --master HOST:PORT [--collective-timeout S]]
#include <iosfwd>
#include <optional>
#include <string>

#include "tpp/cli/command.h"
#include "tpp/data/dataset.h"
#include "tpp/data/prepare.h"  // time_scale_factor

namespace tpp {

struct TrainOptions {
  CommonOptions common;
  std::string config;            // model config file (or inline JSON) with its "train" object
  std::string train;             // training event log
  std::string dev;               // optional dev event log (early stopping, best-model selection)
  std::string output;            // model file; the checkpoint is output + ".ckpt"
  bool resume{false};            // continue from the checkpoint when it exists
  std::string time_scale{"auto"};
  std::string schema;            // optional schema JSON fixing type names and ids (e.g. data/mimic2/schema.json)
  // Data-parallel training (docs/scaling.md): this process is rank `rank` of `world_size`, meeting
  // the others at `master` (rank 0 hosts it). world_size 1: one process, no group.
  int world_size{1};
  int rank{0};
  std::string master{"127.0.0.1:29500"};
  double collective_timeout{300};  // seconds: rendezvous and every collective operation
};

int run_train(const TrainOptions& options);

// Everything after reading the data (tests call this with hand-made datasets): the library's
// prepare_training_data and fit_model (train/fit.h), then the summary. Per-epoch JSON objects and
// the final summary go to `out` with --json; progress lines to `err`.
int train_datasets(const TrainOptions& options, Dataset train, std::optional<Dataset> dev, std::ostream& out,
                   std::ostream& err);

}  // namespace tpp
