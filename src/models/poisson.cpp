#include "tpp/models/poisson.h"

#include "classical_common.h"
#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/models/exponential_law.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

const ConfigFields<PoissonConfig>& PoissonConfig::fields() {
  static const auto fields = ConfigFields<PoissonConfig>("poisson").add(
      classical::vector_field("rate", &PoissonConfig::rate, "rate per action type", 1.0, classical::Sign::Positive));
  return fields;
}

PoissonConfig PoissonConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  PoissonConfig c;
  c.num_types = schema.num_action_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json PoissonConfig::to_json() const { return write_model_config(fields(), *this); }

PoissonImpl::PoissonImpl(PoissonConfig config) : config_(std::move(config)) {
  std::vector<double> raw;
  for (double r : config_.rate) raw.push_back(inverse_softplus(r));
  raw_rate_ = register_parameter("raw_rate", torch::tensor(raw, torch::kFloat64));
}

nlohmann::json PoissonImpl::config() const {
  // The current rates, so the config rebuilds the model as trained.
  PoissonConfig c = config_;
  c.rate = classical::to_vector(rate());
  return c.to_json();
}

torch::Tensor PoissonImpl::rate() const { return torch::nn::functional::softplus(raw_rate_); }

History PoissonImpl::encode(const Batch& batch) {
  History h;
  h.batch = batch;
  const int64_t B = batch.batch_size(), L = batch.max_length();
  h.start = torch::cat({torch::zeros({B, 1}, batch.time.options()), batch.time}, 1);
  h.hidden = torch::zeros({B, L + 1, 0}, batch.time.options());
  return h;
}

namespace {
// The intensity ignores the history: the open interval only needs its start.
class PoissonState : public UserState {
 public:
  PoissonState(const Schema& schema, const Sequence& user, const Context& ctx) : UserState(schema, user, ctx) {}
  const History& current() override {
    if (!history_) {
      History h = open_history();
      h.hidden = torch::zeros({1, 1, 0}, h.start.options());
      history_ = std::make_unique<History>(std::move(h));
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  void advance(const Event&, double, int64_t, double) override { history_.reset(); }
  std::unique_ptr<History> history_;
};
}  // namespace

std::unique_ptr<UserState> PoissonImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<PoissonState>(schema, user, ctx);
}

std::optional<NextEventLaw> PoissonImpl::next_event_law(const History& history) {
  const auto options = history.start.options();
  const auto rates = rate().to(options);
  const auto total = rates.sum();
  NextEventLaw law;
  law.gap = std::make_unique<ExponentialLaw>(total.expand(history.start.sizes()));  // [B, L+1]
  auto shape = history.start.sizes().vec();
  shape.push_back(config_.num_types);
  law.mark_probability = (rates / total).expand(shape);  // [B, L+1, K]
  return law;
}

torch::Tensor PoissonImpl::intensity(const History&, const torch::Tensor& elapsed) {
  auto shape = elapsed.sizes().vec();
  shape.push_back(config_.num_types);
  return rate().expand(shape);
}

torch::Tensor PoissonImpl::intensity_upper_bound(const History&, const torch::Tensor& window) {
  return rate().sum().expand_as(window);
}

LikelihoodTerms PoissonImpl::likelihood_terms(const History& h, const IntegralOptions& options) {
  if (options.method != IntegralOptions::Method::Exact) return Model::likelihood_terms(h, options);
  const Batch& batch = h.batch;
  auto log_rate = torch::log(rate());
  auto action_type = torch::where(batch.action_mask, batch.type, torch::zeros_like(batch.type));
  auto events = torch::where(batch.action_mask, log_rate.index({action_type}), torch::zeros({}, log_rate.options()));
  return {events, rate().sum() * batch.span};
}

namespace {

class PoissonTarget : public ThinningTarget {
 public:
  explicit PoissonTarget(std::vector<double> rate) : rate_(std::move(rate)) {
    for (double r : rate_) total_ += r;
  }
  int num_types() const override { return static_cast<int>(rate_.size()); }
  double upper_bound(double, double) override { return total_; }
  void intensities(double, std::vector<double>& out) override { out = rate_; }
  void observe(const Event& event) override {
    if (!event.is_stimulus && (event.type < 0 || event.type >= num_types()))
      throw Error("poisson simulator: event type " + std::to_string(event.type) + " is out of range");
  }

 private:
  std::vector<double> rate_;
  double total_{0.0};
};

}  // namespace

std::unique_ptr<ThinningTarget> PoissonImpl::thinning_target(double) const {
  torch::NoGradGuard no_grad;
  return std::make_unique<PoissonTarget>(classical::to_vector(rate()));
}

TPP_REGISTER_MODEL(poisson, PoissonConfig, PoissonImpl)

}  // namespace tpp
