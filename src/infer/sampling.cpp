#include "tpp/infer/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/data/batch.h"
#include "tpp/sim/thinning.h"

namespace tpp {

ModelThinningTarget::ModelThinningTarget(Model& model, const Schema& schema, const Sequence& history, Context ctx)
    : model_(model) {
  if (schema.num_action_types != model.num_types())
    throw Error("sampling: schema has " + std::to_string(schema.num_action_types) + " action types, model " +
                std::to_string(model.num_types()));
  state_ = model.start(schema, history, ctx);
}

int ModelThinningTarget::num_types() const { return model_.num_types(); }

void ModelThinningTarget::observe(const Event& event) {
  torch::NoGradGuard no_grad;  // UserState::observe rejects events out of order or of unknown type
  state_->observe(event);
}

void ModelThinningTarget::intensities(double t, std::vector<double>& out) {
  if (t < state_->last_time()) throw Error("sampling: intensity asked before the last observed event");
  auto lambda = state_->intensity_at(model_, {t})[0].contiguous();
  out.assign(lambda.data_ptr<double>(), lambda.data_ptr<double>() + lambda.numel());
}

std::optional<ThinningTarget::Draw> ModelThinningTarget::draw_next(double t, Rng& rng) {
  if (t < state_->last_time()) throw Error("sampling: draw asked before the last observed event");
  torch::NoGradGuard no_grad;
  const History& history = state_->current();
  auto law = model_.next_event_law(history);
  if (!law) return std::nullopt;
  // Given no event in (last, t], the gap τ satisfies S(τ)/S(q) = V ~ U(0, 1] with q = t − last:
  // V·S(q) at or below S(∞) is "never" (probability S(∞)/S(q)), else τ = S⁻¹(V·S(q)) >= q.
  const int64_t i = state_->open_interval(), L1 = history.start.size(1);
  const auto opts = history.start.options();
  const double q = t - state_->last_time();
  auto pick = [i](const torch::Tensor& x) { return x.select(0, 0).select(0, i).to(torch::kCPU, torch::kFloat64); };
  const double log_sq = pick(law->gap->log_survival(torch::full({1, L1, 1}, q, opts)).squeeze(-1)).item<double>();
  const double never = pick(law->gap->never_probability()).item<double>();
  const double v = 1 - rng.uniform();  // (0, 1]
  const double log_s = std::log(v) + log_sq;
  Draw draw{std::numeric_limits<double>::infinity(), 0};
  double tau = std::numeric_limits<double>::infinity();
  if (!(never > 0 && log_s <= std::log(never))) {
    tau = std::max(q, pick(law->gap->inverse_log_survival(torch::full({1, L1, 1}, log_s, opts)).squeeze(-1)).item<double>());
    draw.time = state_->last_time() + tau;
  }
  // A τ-dependent mark is drawn at the drawn τ (no event: the mark is unused).
  auto marks = (law->marks && std::isfinite(tau) ? pick(law->marks->at(torch::full({1, L1}, tau, opts)))
                                                  : pick(law->mark_probability)).contiguous();
  draw.type = rng.categorical(std::vector<double>(marks.data_ptr<double>(), marks.data_ptr<double>() + marks.numel()));
  return draw;
}

double ModelThinningTarget::upper_bound(double t, double t_until) {
  if (t < state_->last_time()) throw Error("sampling: bound asked before the last observed event");
  // The model bounds [last event, last event + window] ⊇ [t, t_until]. The bound and the
  // intensity it is checked against round differently (float32 most of all); a margin of 64
  // machine epsilons of the model's dtype keeps it a bound, and any bound keeps thinning exact.
  const double epsilon = state_->current().start.scalar_type() == torch::kFloat32
                             ? std::numeric_limits<float>::epsilon()
                             : std::numeric_limits<double>::epsilon();
  return state_->upper_bound(model_, t_until - state_->last_time()) * (1 + 64 * epsilon);
}

std::unique_ptr<ThinningTarget> make_thinning_target(Model& model, const Schema& schema, const Sequence& history,
                                                     bool prefer_model_target, const Context& ctx) {
  if (prefer_model_target) {
    if (auto own = model.thinning_target(history.t_start)) {
      for (const auto& e : history.events) own->observe(e);
      return own;
    }
  }
  return std::make_unique<ModelThinningTarget>(model, schema, history, ctx);
}

GeneratedEvents generate_next_events(Model& model, const Schema& schema, const Sequence& prefix,
                                     const GenerateOptions& o, const Context& ctx) {
  if (o.num_events < 1 || o.num_samples < 1) throw Error("generation: num_events and num_samples must be positive");
  if (!(o.horizon > 0)) throw Error("generation: horizon must be positive");
  if (!std::isfinite(o.horizon) && !std::isfinite(o.lookahead))
    throw Error("generation: a finite horizon or lookahead is needed to bound the intensity");
  if (!prefix.events.empty() && prefix.t_end < prefix.events.back().time)
    throw Error("generation: prefix ends before its last event");
  const int K = model.num_types();
  GeneratedEvents out;
  out.mean_time.assign(o.num_events, 0.0);
  out.type_frequency.assign(o.num_events, std::vector<double>(K, 0.0));
  out.reached.assign(o.num_events, 0);
  ThinningOptions thinning;
  thinning.t_start = prefix.t_end;
  thinning.t_end = prefix.t_end + o.horizon;
  thinning.max_events = static_cast<std::size_t>(o.num_events);
  thinning.stop_at_max_events = true;
  thinning.lookahead = o.lookahead;
  for (int m = 0; m < o.num_samples; ++m) {
    auto target = make_thinning_target(model, schema, prefix, o.prefer_model_target, ctx);
    Rng rng(stream_seed(o.seed, static_cast<std::uint64_t>(m)));
    Sequence simulated = simulate_thinning(*target, thinning, rng);
    std::vector<Event> actions;
    for (const auto& e : simulated.events)
      if (!e.is_stimulus && static_cast<int>(actions.size()) < o.num_events) actions.push_back(e);
    for (std::size_t j = 0; j < actions.size(); ++j) {
      out.mean_time[j] += actions[j].time;
      out.type_frequency[j][actions[j].type] += 1;
      out.reached[j] += 1;
    }
    out.samples.push_back(std::move(actions));
  }
  for (int j = 0; j < o.num_events; ++j) {
    const double n = static_cast<double>(out.reached[j]);
    out.mean_time[j] = n > 0 ? out.mean_time[j] / n : std::nan("");
    for (auto& f : out.type_frequency[j]) f = n > 0 ? f / n : std::nan("");
  }
  return out;
}

void simulate_sequences(Model& model, const Schema& schema, std::size_t num_sequences, double horizon, std::uint64_t seed,
                        bool prefer_model_target, const Context& ctx, const std::function<void(Sequence&)>& sink) {
  if (!(horizon > 0) || !std::isfinite(horizon)) throw Error("simulation: horizon must be positive and finite");
  ThinningOptions thinning;
  thinning.t_start = 0.0;
  thinning.t_end = horizon;
  for (std::size_t i = 0; i < num_sequences; ++i) {
    Sequence empty;
    empty.t_start = 0.0;
    auto target = make_thinning_target(model, schema, empty, prefer_model_target, ctx);
    Rng rng(stream_seed(seed, i));
    Sequence seq = simulate_thinning(*target, thinning, rng);
    seq.user = std::to_string(i);
    seq.t_start = 0.0;
    seq.t_end = horizon;
    sink(seq);
  }
}

Dataset simulate_dataset(Model& model, const Schema& schema, std::size_t num_sequences, double horizon,
                         std::uint64_t seed, bool prefer_model_target, const Context& ctx) {
  Dataset data;
  data.schema = schema;
  simulate_sequences(model, schema, num_sequences, horizon, seed, prefer_model_target, ctx,
                     [&](Sequence& seq) { data.sequences.push_back(std::move(seq)); });
  return data;
}

}  // namespace tpp
