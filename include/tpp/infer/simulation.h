#pragma once
// Simulating event data the way a user asks for it: from a model named in a JSON config with its
// type names, or from a saved model; sequences are drawn in model units and returned in the file
// units the model was trained on, so that simulated data reads like the data it was fitted to.
#include <cstddef>
#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/dataset.h"
#include "tpp/models/registry.h"

namespace tpp {

// A config's types: "action_names", else "num_types" (default `num_types`) types named "0", "1", ...;
// with neither and num_types = 0, the length of the config's first array among "rate", "mu",
// "alpha" (a K×K alpha has K rows), else 1.
Schema simulation_schema(const nlohmann::json& config, int num_types);

// A model built from registry keys plus "action_names" / "num_types" (simulation_schema) on the
// context's device and dtype, with the identity time scale: a SavedModel as if trained and saved.
SavedModel model_for_simulation(nlohmann::json config, int num_types, const Context& ctx);

// `num_sequences` sequences on [0, horizon] file units, sequence i drawn with stream_seed(seed, i)
// (infer/sampling.h). `prefer_model_target`: the model's scalar simulator where it has one, else the
// generic sampler through the Model interface.
Dataset simulate_in_file_units(const SavedModel& model, std::size_t num_sequences, double horizon, std::uint64_t seed,
                               bool prefer_model_target, const Context& ctx);
// The same sequences handed to `sink` one at a time, in file units, none kept; returns the
// schema they use.
Schema simulate_in_file_units(const SavedModel& model, std::size_t num_sequences, double horizon, std::uint64_t seed,
                              bool prefer_model_target, const Context& ctx, const std::function<void(Sequence&)>& sink);

}  // namespace tpp
