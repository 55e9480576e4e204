#pragma once
// Fitting a new model from a model config file on prepared data (data/prepare.h): the config is
// split and validated, the model built from the registry, trained by the Trainer, and saved. The
// one path from a config to a saved model, whatever front end (CLI, bindings, server) drives it.
#include <cstdint>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/prepare.h"
#include "tpp/models/registry.h"
#include "tpp/train/trainer.h"

namespace tpp {

// A model config file split into what builds the model and what trains it.
struct FitConfig {
  nlohmann::json model;          // every key but "train": "model", its parameters, "text_features"
  TrainConfig train;             // the "train" object, validated
  nlohmann::json text_features;  // "text_features" (TrainingDataOptions::text_features); null: none

  // Validates the object and its "train" keys before any data is touched. `default_seed` is the
  // training seed when "train" gives none; `where` names the config in errors.
  static FitConfig from_json(const nlohmann::json& config, std::uint64_t default_seed = 1,
                             const std::string& where = "model config");
};

struct FitOptions {
  Context context;  // device, dtype, threads, progress; its seed is replaced by the training seed
  // Model file, written atomically once training ends, and checkpointed every epoch to
  // output + ".ckpt" so that a killed run resumes; empty: neither.
  std::string output;
  bool resume{false};                // continue from output + ".ckpt" when it exists
  std::ostream* json_log{nullptr};   // one JSON object per epoch
  std::ostream* progress{nullptr};   // progress lines when context.progress
  // Data-parallel training (TrainerOptions::group): every rank fits the same model on its shards;
  // only rank 0 writes the checkpoint and the model file. nullptr: one process.
  Collectives* group{nullptr};
};

struct FitResult {
  SavedModel model;     // as it was saved: selected parameters (eval mode), schema, time scale, config
  TrainResult training; // per-epoch record, best epoch, early stopping
};

// Builds config.model for data.train's schema (with data.text_features as its fitted featuriser),
// trains it on data.train, early-stopping on data.dev when present, and saves it to options.output.
FitResult fit_model(const FitConfig& config, const TrainingData& data, const FitOptions& options = {});
// The same from sources read batch by batch (e.g. a store prepared by prepare_store_training_data,
// data/store_source.h): the model takes train's schema and time scale; text_features is the fitted
// featuriser state the sources apply (null: none).
FitResult fit_model(const FitConfig& config, const SequenceSource& train, const SequenceSource* dev,
                    const nlohmann::json& text_features, const FitOptions& options = {});

}  // namespace tpp
