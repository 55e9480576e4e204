#include "tpp/models/hawkes.h"

#include <cmath>

#include "classical_common.h"
#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/models/decaying_rate_law.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

// β is one scalar unless "beta_matrix" (read before it) asks for one per (source, target) pair.
ConfigField<HawkesConfig> beta_field() {
  ConfigField<HawkesConfig> f;
  f.doc = {"beta", "number > 0, or a matrix with beta_matrix", "1.0", "decay rate β of the kernel"};
  f.read = [](const nlohmann::json* v, HawkesConfig& c) {
    const int K = c.num_types, C = K + c.num_stimulus_types;
    if (c.beta_matrix)
      c.beta = v ? classical::parse_matrix(*v, C, K, K, 1.0) : std::vector<double>(static_cast<std::size_t>(C) * K, 1.0);
    else if (v && !v->is_number())
      throw ConfigFieldError("must be a number (set \"beta_matrix\": true for a matrix)");
    else
      c.beta = {v ? v->get<double>() : 1.0};
    classical::check_values(c.beta, classical::Sign::Positive);
  };
  f.write = [](const HawkesConfig& c) {
    return c.beta_matrix ? classical::rows_json(c.beta, c.num_types) : nlohmann::json(c.beta.at(0));
  };
  return f;
}

}  // namespace

const ConfigFields<HawkesConfig>& HawkesConfig::fields() {
  using classical::Sign;
  static const auto fields =
      ConfigFields<HawkesConfig>("hawkes")
          .add(classical::vector_field("mu", &HawkesConfig::mu, "baseline rate μ_k", 0.5, Sign::Positive))
          // 0.5/K per pair: the action block then has spectral radius 0.5.
          .add(classical::matrix_field<HawkesConfig>(
              "alpha", &HawkesConfig::alpha, "branching ratio α (row: source type, column: target action)",
              [](const HawkesConfig& c) { return 0.5 / c.num_types; }, "0.5/K", Sign::NonNegative))
          .field("beta_matrix", &HawkesConfig::beta_matrix, "one β per (source, target) pair instead of one scalar")
          .add(beta_field());
  return fields;
}

HawkesConfig HawkesConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  HawkesConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  c.source_mask = classical::source_mask(schema);
  return c;
}

nlohmann::json HawkesConfig::to_json() const { return write_model_config(fields(), *this); }

HawkesImpl::HawkesImpl(HawkesConfig config) : config_(std::move(config)) {
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  raw_mu_ = register_parameter("raw_mu", classical::raw_positive_tensor(config_.mu));
  raw_alpha_ = register_parameter("raw_alpha", classical::raw_positive_tensor(config_.alpha).reshape({C, K}));
  auto raw_beta = classical::raw_positive_tensor(config_.beta);
  raw_beta_ = register_parameter("raw_beta", config_.beta_matrix ? raw_beta.reshape({C, K}) : raw_beta.reshape({}));
  source_mask_ = register_buffer("source_mask", config_.source_mask.to(torch::kFloat64));
}

torch::Tensor HawkesImpl::mu() const { return torch::nn::functional::softplus(raw_mu_); }
torch::Tensor HawkesImpl::alpha() const { return torch::nn::functional::softplus(raw_alpha_) * source_mask_; }
torch::Tensor HawkesImpl::beta() const { return torch::nn::functional::softplus(raw_beta_); }
torch::Tensor HawkesImpl::beta_groups() const {
  return config_.beta_matrix ? beta() : beta().reshape({1, 1});
}
torch::Tensor HawkesImpl::natural_parameters() const {
  return torch::cat({mu(), alpha().flatten(), beta().flatten()});
}

nlohmann::json HawkesImpl::config() const {
  // The current parameter values, so the config rebuilds the model as trained.
  HawkesConfig c = config_;
  c.mu = classical::to_vector(mu());
  c.alpha = classical::to_vector(alpha());
  c.beta = classical::to_vector(beta());
  return c.to_json();
}

History HawkesImpl::encode(const Batch& batch) {
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  classical::check_batch(batch, K, config_.num_stimulus_types, "hawkes");
  const int64_t B = batch.batch_size(), L = batch.max_length();
  auto beta_rk = beta_groups().to(batch.time.scalar_type());           // [R, K]
  auto jump_table = (alpha() * beta()).to(batch.time.scalar_type());   // [C, K]; scalar β broadcasts
  auto one_hot = classical::source_one_hot(batch, C);            // [B, L, C]
  // Jump of the excitation at each event: per source row for a β matrix, one row for a scalar β.
  torch::Tensor jump = config_.beta_matrix ? one_hot.unsqueeze(-1) * jump_table
                                           : torch::matmul(one_hot, jump_table).unsqueeze(2);  // [B, L, R, K]
  auto decay = torch::exp(-beta_rk * batch.dtime.unsqueeze(-1).unsqueeze(-1));               // [B, L, R, K]
  // E_i: excitation just after event i−1, i.e. at the start of interval i.
  std::vector<torch::Tensor> state;
  state.reserve(L + 1);
  state.push_back(torch::zeros({B, beta_rk.size(0), K}, batch.time.options()));
  // unbind, not select: select's backward materialises a full-size zero tensor per step (O(L²)).
  auto jumps = jump.unbind(1), decays = decay.unbind(1);
  for (int64_t i = 0; i < L; ++i) state.push_back(torch::addcmul(jumps[i], state.back(), decays[i]));
  History h;
  h.batch = batch;
  h.start = classical::interval_starts(batch);
  h.parts["excitation"] = torch::stack(state, 1);  // [B, L+1, R, K]
  h.hidden = h.parts["excitation"].sum(2);
  return h;
}

torch::Tensor HawkesImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  const auto& E = history.parts.at("excitation");                               // [B, L+1, R, K]
  auto decay = torch::exp(-beta_groups() * elapsed.unsqueeze(-1).unsqueeze(-1));  // [B, L+1, S, R, K]
  return mu() + (E.unsqueeze(2) * decay).sum(3);
}

torch::Tensor HawkesImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  return (mu().sum() + history.hidden.sum(-1)).expand_as(window);
}

torch::Tensor HawkesImpl::embedding(const History& history) { return mu() + history.hidden; }

std::optional<NextEventLaw> HawkesImpl::next_event_law(const History& history) {
  if (config_.beta_matrix) return std::nullopt;
  const auto& E = history.parts.at("excitation");  // [B, L+1, 1, K]
  const auto dtype = E.scalar_type();
  return decaying_rate_next_event_law(mu().to(dtype), E.select(2, 0), beta().to(dtype));
}

torch::Tensor HawkesImpl::compensator(const History& history) {
  const auto& E = history.parts.at("excitation");
  const auto& span = history.batch.span;  // [B, L+1]
  auto b = beta_groups();
  // ∫_0^s E e^{−βu} du = E (1 − e^{−βs}) / β, computed with expm1 for short intervals.
  auto decayed = -torch::expm1(-b * span.unsqueeze(-1).unsqueeze(-1)) / b;  // [B, L+1, R, K]
  return mu().sum() * span + (E * decayed).sum({2, 3});
}

namespace {
// O(R·K) per event: the excitation per decay group, decayed over the gap and jumped by the event,
// as in encode().
class HawkesState : public UserState {
 public:
  HawkesState(HawkesImpl& model, const Schema& schema, const Sequence& user, const Context& ctx, bool matrix)
      : UserState(schema, user, ctx), model_(model), matrix_(matrix) {
    auto beta = model.beta_groups().to(ctx.dtype);
    excitation_ = torch::zeros({beta.size(0), static_cast<int64_t>(model.num_types())}, ctx.options());
  }
  const History& current() override {
    if (!history_) {
      History h = open_history();
      h.parts["excitation"] = excitation_.unsqueeze(0).unsqueeze(0);  // [1, 1, R, K]
      h.hidden = h.parts["excitation"].sum(2);
      history_ = std::make_unique<History>(std::move(h));
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  void advance(const Event&, double, int64_t token, double gap) override {
    auto beta = model_.beta_groups().to(ctx_.dtype);
    auto jump = (model_.alpha()[token] * model_.beta()).to(ctx_.dtype);  // [K] (β a matrix: [C, K] row)
    if (matrix_) jump = jump[token];
    excitation_ = excitation_ * torch::exp(-beta * gap);
    excitation_[matrix_ ? token : 0] += jump;
    history_.reset();
  }
  HawkesImpl& model_;
  bool matrix_;
  torch::Tensor excitation_;  // [R, K]
  std::unique_ptr<History> history_;
};
}  // namespace

std::unique_ptr<UserState> HawkesImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<HawkesState>(*this, schema, user, ctx, config_.beta_matrix);
}

LikelihoodTerms HawkesImpl::likelihood_terms(const History& h, const IntegralOptions& options) {
  if (options.method != IntegralOptions::Method::Exact) return Model::likelihood_terms(h, options);
  const Batch& batch = h.batch;
  const int64_t L = batch.max_length();
  const auto& E = h.parts.at("excitation").narrow(1, 0, L);                            // [B, L, R, K]
  auto at_event = mu() + (E * torch::exp(-beta_groups() * batch.dtime.unsqueeze(-1).unsqueeze(-1))).sum(2);
  auto log_events = torch::where(batch.action_mask, safe_log(at_action_types(batch, at_event)),
                                 torch::zeros({}, at_event.options()));
  return {log_events, compensator(h)};
}

namespace {

// O(R·K) per event: the excitation per decay group is kept at the last event time and decayed
// lazily to the query time.
class HawkesTarget : public ThinningTarget {
 public:
  HawkesTarget(int K, int C, bool matrix, std::vector<double> mu, std::vector<double> jump, std::vector<double> beta,
               double t_start)
      : K_(K), C_(C), R_(matrix ? C : 1), mu_(std::move(mu)), jump_(std::move(jump)), beta_(std::move(beta)),
        excitation_(static_cast<std::size_t>(R_) * K, 0.0), last_(t_start) {
    if (!matrix) {
      const double b = beta_.at(0);
      beta_.assign(static_cast<std::size_t>(K), b);
    }
  }
  int num_types() const override { return K_; }
  double upper_bound(double t, double) override {
    std::vector<double> lambda;
    intensities(t, lambda);
    double total = 0;
    for (double x : lambda) total += x;
    return total;
  }
  void intensities(double t, std::vector<double>& out) override {
    out.assign(mu_.begin(), mu_.end());
    const double dt = t - last_;
    for (int r = 0; r < R_; ++r)
      for (int k = 0; k < K_; ++k) out[k] += excitation_[r * K_ + k] * std::exp(-beta_at(r, k) * dt);
  }
  void observe(const Event& event) override {
    const int c = event.is_stimulus ? K_ + event.type : event.type;
    if (event.type < 0 || c >= C_)
      throw Error("hawkes simulator: event type " + std::to_string(event.type) + (event.is_stimulus ? " (stimulus)" : "") +
                  " is out of range");
    const double dt = event.time - last_;
    for (int r = 0; r < R_; ++r)
      for (int k = 0; k < K_; ++k) excitation_[r * K_ + k] *= std::exp(-beta_at(r, k) * dt);
    const int row = R_ == 1 ? 0 : c;
    for (int k = 0; k < K_; ++k) excitation_[row * K_ + k] += jump_[c * K_ + k];
    last_ = event.time;
  }

 private:
  double beta_at(int r, int k) const { return R_ == 1 ? beta_[k] : beta_[r * K_ + k]; }
  int K_, C_, R_;
  std::vector<double> mu_, jump_, beta_, excitation_;
  double last_;
};

}  // namespace

std::unique_ptr<ThinningTarget> HawkesImpl::thinning_target(double t_start) const {
  torch::NoGradGuard no_grad;
  const int K = config_.num_types, C = K + config_.num_stimulus_types;
  return std::make_unique<HawkesTarget>(K, C, config_.beta_matrix, classical::to_vector(mu()),
                                        classical::to_vector(alpha() * beta()), classical::to_vector(beta()), t_start);
}

TPP_REGISTER_MODEL(hawkes, HawkesConfig, HawkesImpl)

}  // namespace tpp
