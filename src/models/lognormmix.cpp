#include "tpp/models/lognormmix.h"

#include "tpp/core/numerics.h"
#include "tpp/models/lognormal_mixture_law.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

const ConfigFields<LognormmixConfig>& LognormmixConfig::fields() {
  static const auto fields =
      ConfigFields<LognormmixConfig>("lognormmix")
          .include(&LognormmixConfig::encoder, RnnEncoderConfig::fields())
          .field("components", &LognormmixConfig::components, "log-normal mixture components J",
                 model_sizes::components());
  return fields;
}

LognormmixConfig LognormmixConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  LognormmixConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json LognormmixConfig::to_json() const { return write_model_config(fields(), *this); }

LognormmixImpl::LognormmixImpl(LognormmixConfig config)
    : IntensityFreeModel(config.num_types, config.num_stimulus_types, config.encoder, 3 * config.components),
      config_(std::move(config)) {
  const int J = config_.components;
  std::vector<double> bias(3 * J, 0.0);
  for (int j = 0; j < J; ++j) {
    bias[J + j] = J > 1 ? -2.0 + 4.0 * j / (J - 1) : 0.0;
    bias[2 * J + j] = inverse_softplus(1.0);
  }
  set_law_bias(bias);
}

std::unique_ptr<TimingLaw> LognormmixImpl::timing_law(const torch::Tensor& raw) const {
  const int64_t J = config_.components;
  auto log_weight = torch::log_softmax(raw.narrow(-1, 0, J), -1);
  auto mu = raw.narrow(-1, J, J);
  auto sigma = scaled_softplus(raw.narrow(-1, 2 * J, J)) + kMinSigma;
  return std::make_unique<LogNormalMixtureLaw>(log_weight, mu, sigma);
}

TPP_REGISTER_MODEL(lognormmix, LognormmixConfig, LognormmixImpl)

}  // namespace tpp
