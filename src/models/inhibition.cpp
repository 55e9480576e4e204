#include "tpp/models/inhibition.h"

#include <cmath>

#include "classical_common.h"
#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"
#include "tpp/models/user_state.h"

namespace tpp {

const ConfigFields<InhibitionConfig>& InhibitionConfig::fields() {
  using classical::Sign;
  const auto constant = [](double x) { return [x](const InhibitionConfig&) { return x; }; };
  static const auto fields =
      ConfigFields<InhibitionConfig>("inhibition")
          .add(classical::vector_field("mu", &InhibitionConfig::mu, "base level μ_k, signed (< 0: inertia)", 0.0, Sign::Any))
          .add(classical::matrix_field<InhibitionConfig>("alpha", &InhibitionConfig::alpha,
                                                         "jump α, signed (< 0 inhibits)", constant(0.0), "0.0", Sign::Any))
          .add(classical::matrix_field<InhibitionConfig>("delta", &InhibitionConfig::delta, "decay rate δ",
                                                         constant(1.0), "1.0", Sign::Positive))
          .add(classical::vector_field("scale", &InhibitionConfig::scale, "softplus scale s_k", 1.0, Sign::Positive));
  return fields;
}

InhibitionConfig InhibitionConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  InhibitionConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  c.source_mask = classical::source_mask(schema);
  return c;
}

nlohmann::json InhibitionConfig::to_json() const { return write_model_config(fields(), *this); }

InhibitionImpl::InhibitionImpl(InhibitionConfig config) : config_(std::move(config)) {
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  mu_ = register_parameter("mu", torch::tensor(config_.mu, torch::kFloat64));
  alpha_ = register_parameter("alpha", torch::tensor(config_.alpha, torch::kFloat64).reshape({C, K}));
  raw_delta_ = register_parameter("raw_delta", classical::raw_positive_tensor(config_.delta).reshape({C, K}));
  raw_scale_ = register_parameter("raw_scale", classical::raw_positive_tensor(config_.scale));
  source_mask_ = register_buffer("source_mask", config_.source_mask.to(torch::kFloat64));
}

torch::Tensor InhibitionImpl::mu() const { return mu_; }
torch::Tensor InhibitionImpl::alpha() const { return alpha_ * source_mask_; }
torch::Tensor InhibitionImpl::delta() const { return torch::nn::functional::softplus(raw_delta_); }
torch::Tensor InhibitionImpl::scale() const { return torch::nn::functional::softplus(raw_scale_); }

nlohmann::json InhibitionImpl::config() const {
  // The current parameter values, so the config rebuilds the model as trained.
  InhibitionConfig c = config_;
  c.mu = classical::to_vector(mu());
  c.alpha = classical::to_vector(alpha());
  c.delta = classical::to_vector(delta());
  c.scale = classical::to_vector(scale());
  return c.to_json();
}

History InhibitionImpl::encode(const Batch& batch) {
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  classical::check_batch(batch, K, config_.num_stimulus_types, "inhibition");
  const int64_t B = batch.batch_size(), L = batch.max_length();
  auto one_hot = classical::source_one_hot(batch, C);                                  // [B, L, C]
  auto jump = one_hot.unsqueeze(-1) * alpha();                                         // [B, L, C, K]
  auto decay = torch::exp(-delta() * batch.dtime.unsqueeze(-1).unsqueeze(-1));         // [B, L, C, K]
  std::vector<torch::Tensor> state;
  state.reserve(L + 1);
  state.push_back(torch::zeros({B, C, K}, jump.options()));
  // unbind, not select: select's backward materialises a full-size zero tensor per step (O(L²)).
  auto jumps = jump.unbind(1), decays = decay.unbind(1);
  for (int64_t i = 0; i < L; ++i) state.push_back(torch::addcmul(jumps[i], state.back(), decays[i]));
  History h;
  h.batch = batch;
  h.start = classical::interval_starts(batch);
  h.parts["excitation"] = torch::stack(state, 1);  // [B, L+1, C, K]
  h.hidden = mu() + h.parts["excitation"].sum(2);
  return h;
}

torch::Tensor InhibitionImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  const auto& E = history.parts.at("excitation");                         // [B, L+1, C, K]
  auto decay = torch::exp(-delta() * elapsed.unsqueeze(-1).unsqueeze(-1));  // [B, L+1, S, C, K]
  return scaled_softplus(mu() + (E.unsqueeze(2) * decay).sum(3), scale());
}

torch::Tensor InhibitionImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  const auto& E = history.parts.at("excitation");                       // [B, L+1, C, K]
  auto at_end = E * torch::exp(-delta() * window.unsqueeze(-1).unsqueeze(-1));
  auto activation = mu() + torch::maximum(E, at_end).sum(2);            // [B, L+1, K]
  return scaled_softplus(activation, scale()).sum(-1);
}

LikelihoodTerms InhibitionImpl::likelihood_terms(const History& h, const IntegralOptions& options) {
  if (options.method != IntegralOptions::Method::Exact) return Model::likelihood_terms(h, options);
  IntegralOptions quadrature = options;
  quadrature.method = IntegralOptions::Method::GaussLegendre;  // no closed form
  return Model::likelihood_terms(h, quadrature);
}

torch::Tensor InhibitionImpl::embedding(const History& history) { return history.hidden; }

namespace {

class InhibitionTarget : public ThinningTarget {
 public:
  InhibitionTarget(int K, int C, std::vector<double> mu, std::vector<double> alpha, std::vector<double> delta,
                   std::vector<double> scale, double t_start)
      : K_(K), C_(C), mu_(std::move(mu)), alpha_(std::move(alpha)), delta_(std::move(delta)), scale_(std::move(scale)),
        excitation_(static_cast<std::size_t>(C) * K, 0.0), last_(t_start) {}
  int num_types() const override { return K_; }
  double upper_bound(double t, double t_until) override {
    const double dt = t - last_, window = t_until - t;
    double total = 0;
    for (int k = 0; k < K_; ++k) {
      double activation = mu_[k];
      for (int c = 0; c < C_; ++c) {
        const double at_start = excitation_[c * K_ + k] * std::exp(-delta_[c * K_ + k] * dt);
        activation += std::max(at_start, at_start * std::exp(-delta_[c * K_ + k] * window));
      }
      total += transfer(k, activation);
    }
    return total;
  }
  void intensities(double t, std::vector<double>& out) override {
    out.resize(K_);
    const double dt = t - last_;
    for (int k = 0; k < K_; ++k) {
      double activation = mu_[k];
      for (int c = 0; c < C_; ++c) activation += excitation_[c * K_ + k] * std::exp(-delta_[c * K_ + k] * dt);
      out[k] = transfer(k, activation);
    }
  }
  void observe(const Event& event) override {
    const int c = event.is_stimulus ? K_ + event.type : event.type;
    if (event.type < 0 || c >= C_)
      throw Error("inhibition simulator: event type " + std::to_string(event.type) + (event.is_stimulus ? " (stimulus)" : "") +
                  " is out of range");
    const double dt = event.time - last_;
    for (std::size_t i = 0; i < excitation_.size(); ++i) excitation_[i] *= std::exp(-delta_[i] * dt);
    for (int k = 0; k < K_; ++k) excitation_[c * K_ + k] += alpha_[c * K_ + k];
    last_ = event.time;
  }

 private:
  double transfer(int k, double x) const { return scale_[k] * softplus(x / scale_[k]); }
  int K_, C_;
  std::vector<double> mu_, alpha_, delta_, scale_, excitation_;
  double last_;
};

}  // namespace

namespace {

// The batch's recursion E_{i+1} = jump_i + E_i · e^{−δ·gap_i}, one event at a time: O(C·K) per event.
class InhibitionState : public UserState {
 public:
  InhibitionState(InhibitionImpl& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model) {
    excitation_ = torch::zeros({schema.num_action_types + schema.num_stimulus_types, schema.num_action_types},
                               ctx.options());
  }
  const History& current() override {
    if (!history_) {
      History h = open_history();
      h.parts["excitation"] = excitation_.unsqueeze(0).unsqueeze(0);  // [1, 1, C, K]
      h.hidden = model_.mu() + h.parts["excitation"].sum(2);
      history_ = std::make_unique<History>(std::move(h));
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  void advance(const Event&, double, int64_t token, double gap) override {
    auto source = torch::zeros({excitation_.size(0), 1}, excitation_.options());
    source[token] = 1.0;
    excitation_ = torch::addcmul(source * model_.alpha(), excitation_, torch::exp(-model_.delta() * gap));
    history_.reset();
  }
  InhibitionImpl& model_;
  torch::Tensor excitation_;  // [C, K]
  std::unique_ptr<History> history_;
};

}  // namespace

std::unique_ptr<UserState> InhibitionImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<InhibitionState>(*this, schema, user, ctx);
}

std::unique_ptr<ThinningTarget> InhibitionImpl::thinning_target(double t_start) const {
  torch::NoGradGuard no_grad;
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  return std::make_unique<InhibitionTarget>(K, C, classical::to_vector(mu()), classical::to_vector(alpha()),
                                            classical::to_vector(delta()), classical::to_vector(scale()), t_start);
}

TPP_REGISTER_MODEL(inhibition, InhibitionConfig, InhibitionImpl)

}  // namespace tpp
