#include "tpp/sim/simulate.h"

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/sim/thinning.h"

namespace tpp {

Dataset simulate(const Model& model, const Schema& schema, const SimulateOptions& options,
                 const std::vector<std::vector<Event>>& stimuli) {
  if (model.num_types() != schema.num_action_types)
    throw Error("simulate: model \"" + model.name() + "\" has " + std::to_string(model.num_types()) +
                " action types, schema has " + std::to_string(schema.num_action_types));
  if (!stimuli.empty() && stimuli.size() != options.num_sequences)
    throw Error("simulate: " + std::to_string(stimuli.size()) + " stimulus lists for " +
                std::to_string(options.num_sequences) + " sequences");
  Dataset data;
  data.schema = schema;
  data.sequences.reserve(options.num_sequences);
  ThinningOptions thinning;
  thinning.t_start = options.t_start;
  thinning.t_end = options.t_end;
  thinning.max_events = options.max_events;
  thinning.lookahead = options.lookahead;
  static const std::vector<Event> no_stimuli;
  for (std::size_t i = 0; i < options.num_sequences; ++i) {
    auto target = model.thinning_target(options.t_start);
    if (!target)
      throw Error("simulate: model \"" + model.name() + "\" has no scalar simulator (thinning_target() is null)");
    const auto& list = stimuli.empty() ? no_stimuli : stimuli[i];
    for (const auto& s : list)
      if (s.type >= schema.num_stimulus_types)
        throw Error("simulate: sequence " + std::to_string(i) + ": stimulus type " + std::to_string(s.type) +
                    " is not in the schema");
    Rng rng(stream_seed(options.seed, i));
    Sequence seq = simulate_thinning(*target, thinning, rng, list);
    seq.user = "u" + std::to_string(i);
    data.sequences.push_back(std::move(seq));
  }
  return data;
}

}  // namespace tpp
