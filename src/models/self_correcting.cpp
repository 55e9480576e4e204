#include "tpp/models/self_correcting.h"

#include <cmath>
#include <limits>

#include "classical_common.h"
#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

const ConfigFields<SelfCorrectingConfig>& SelfCorrectingConfig::fields() {
  using classical::Sign;
  static const auto fields =
      ConfigFields<SelfCorrectingConfig>("self_correcting")
          .add(classical::vector_field("mu", &SelfCorrectingConfig::mu, "growth rate μ_k", 1.0, Sign::Positive))
          .add(classical::matrix_field<SelfCorrectingConfig>(
              "alpha", &SelfCorrectingConfig::alpha, "drop α of the log intensity at each event",
              [](const SelfCorrectingConfig&) { return 1.0; }, "1.0", Sign::NonNegative));
  return fields;
}

SelfCorrectingConfig SelfCorrectingConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  SelfCorrectingConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  c.source_mask = classical::source_mask(schema);
  return c;
}

nlohmann::json SelfCorrectingConfig::to_json() const { return write_model_config(fields(), *this); }

SelfCorrectingImpl::SelfCorrectingImpl(SelfCorrectingConfig config) : config_(std::move(config)) {
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  raw_mu_ = register_parameter("raw_mu", classical::raw_positive_tensor(config_.mu));
  raw_alpha_ = register_parameter("raw_alpha", classical::raw_positive_tensor(config_.alpha).reshape({C, K}));
  source_mask_ = register_buffer("source_mask", config_.source_mask.to(torch::kFloat64));
}

torch::Tensor SelfCorrectingImpl::mu() const { return torch::nn::functional::softplus(raw_mu_); }
torch::Tensor SelfCorrectingImpl::alpha() const { return torch::nn::functional::softplus(raw_alpha_) * source_mask_; }

nlohmann::json SelfCorrectingImpl::config() const {
  // The current parameter values, so the config rebuilds the model as trained.
  SelfCorrectingConfig c = config_;
  c.mu = classical::to_vector(mu());
  c.alpha = classical::to_vector(alpha());
  return c.to_json();
}

History SelfCorrectingImpl::encode(const Batch& batch) {
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  classical::check_batch(batch, K, config_.num_stimulus_types, "self_correcting");
  // The corrections only accumulate, so a cumulative sum replaces the recurrence.
  auto drops = torch::matmul(classical::source_one_hot(batch, C), alpha());  // [B, L, K]
  auto accumulated = torch::cat({torch::zeros({batch.batch_size(), 1, K}, drops.options()), drops.cumsum(1)}, 1);
  History h;
  h.batch = batch;
  h.start = classical::interval_starts(batch);
  h.hidden = mu() * h.start.unsqueeze(-1) - accumulated;  // [B, L+1, K]
  return h;
}

torch::Tensor SelfCorrectingImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  return torch::exp(history.hidden.unsqueeze(2) + mu() * elapsed.unsqueeze(-1));
}

torch::Tensor SelfCorrectingImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  return torch::exp(history.hidden + mu() * window.unsqueeze(-1)).sum(-1);
}

torch::Tensor SelfCorrectingImpl::embedding(const History& history) { return history.hidden; }

torch::Tensor SelfCorrectingImpl::compensator(const History& history) {
  auto m = mu();
  return (torch::exp(history.hidden) * torch::expm1(m * history.batch.span.unsqueeze(-1)) / m).sum(-1);
}

namespace {
// O(K) per event: the accumulated corrections, as in encode().
class SelfCorrectingState : public UserState {
 public:
  SelfCorrectingState(SelfCorrectingImpl& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model), accumulated_(torch::zeros({model.num_types()}, ctx.options())) {}
  const History& current() override {
    if (!history_) {
      History h = open_history();
      h.hidden = (model_.mu() * h.start.unsqueeze(-1) - accumulated_).to(ctx_.dtype);  // [1, 1, K]
      history_ = std::make_unique<History>(std::move(h));
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  void advance(const Event&, double, int64_t token, double) override {
    accumulated_ = accumulated_ + model_.alpha()[token].to(ctx_.dtype);
    history_.reset();
  }
  SelfCorrectingImpl& model_;
  torch::Tensor accumulated_;  // [K]
  std::unique_ptr<History> history_;
};
}  // namespace

std::unique_ptr<UserState> SelfCorrectingImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<SelfCorrectingState>(*this, schema, user, ctx);
}

LikelihoodTerms SelfCorrectingImpl::likelihood_terms(const History& h, const IntegralOptions& options) {
  if (options.method != IntegralOptions::Method::Exact) return Model::likelihood_terms(h, options);
  const Batch& batch = h.batch;
  const int64_t L = batch.max_length();
  // log λ_k at event i = hidden_i + μ_k dtime_i: no exp/log round trip.
  auto log_at_event = h.hidden.narrow(1, 0, L) + mu() * batch.dtime.unsqueeze(-1);  // [B, L, K]
  return {at_action_types(batch, log_at_event), compensator(h)};
}

namespace {

class SelfCorrectingTarget : public ThinningTarget {
 public:
  SelfCorrectingTarget(int K, int C, std::vector<double> mu, std::vector<double> alpha, double t_start)
      : K_(K), C_(C), mu_(std::move(mu)), alpha_(std::move(alpha)), accumulated_(K, 0.0), t_start_(t_start) {}
  int num_types() const override { return K_; }
  double upper_bound(double, double t_until) override {
    if (!std::isfinite(t_until)) return std::numeric_limits<double>::infinity();
    std::vector<double> lambda;
    intensities(t_until, lambda);
    double total = 0;
    for (double x : lambda) total += x;
    return total;
  }
  void intensities(double t, std::vector<double>& out) override {
    out.resize(K_);
    for (int k = 0; k < K_; ++k) out[k] = std::exp(mu_[k] * (t - t_start_) - accumulated_[k]);
  }
  void observe(const Event& event) override {
    const int c = event.is_stimulus ? K_ + event.type : event.type;
    if (event.type < 0 || c >= C_)
      throw Error("self_correcting simulator: event type " + std::to_string(event.type) +
                  (event.is_stimulus ? " (stimulus)" : "") + " is out of range");
    for (int k = 0; k < K_; ++k) accumulated_[k] += alpha_[c * K_ + k];
  }

 private:
  int K_, C_;
  std::vector<double> mu_, alpha_, accumulated_;
  double t_start_;
};

}  // namespace

std::unique_ptr<ThinningTarget> SelfCorrectingImpl::thinning_target(double t_start) const {
  torch::NoGradGuard no_grad;
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  return std::make_unique<SelfCorrectingTarget>(K, C, classical::to_vector(mu()), classical::to_vector(alpha()), t_start);
}

TPP_REGISTER_MODEL(self_correcting, SelfCorrectingConfig, SelfCorrectingImpl)

}  // namespace tpp
