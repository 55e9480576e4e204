#include "tpp/models/burr.h"

#include <cmath>

#include "tpp/core/numerics.h"
#include "tpp/models/burr_law.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {
constexpr double kMinScale = 1e-6, kMinShape = 1e-3;
}  // namespace

const ConfigFields<BurrConfig>& BurrConfig::fields() {
  static const auto fields = ConfigFields<BurrConfig>("burr")
                                 .include(&BurrConfig::encoder, RnnEncoderConfig::fields())
                                 .field("defective", &BurrConfig::defective,
                                        "add a probability of no next event (a user who never returns)");
  return fields;
}

BurrConfig BurrConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  BurrConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json BurrConfig::to_json() const { return write_model_config(fields(), *this); }

BurrImpl::BurrImpl(BurrConfig config)
    : IntensityFreeModel(config.num_types, config.num_stimulus_types, config.encoder, config.defective ? 4 : 3),
      config_(std::move(config)) {
  std::vector<double> bias{inverse_softplus(1.0 - kMinScale), inverse_softplus(1.5 - kMinShape),
                           inverse_softplus(1.5 - kMinShape)};
  if (config_.defective) bias.push_back(std::log(0.1 / 0.9));
  set_law_bias(bias);
}

std::unique_ptr<TimingLaw> BurrImpl::timing_law(const torch::Tensor& raw) const {
  auto scale = scaled_softplus(raw.select(-1, 0)) + kMinScale;
  auto c = scaled_softplus(raw.select(-1, 1)) + kMinShape;
  auto k = scaled_softplus(raw.select(-1, 2)) + kMinShape;
  torch::Tensor logit = config_.defective ? raw.select(-1, 3) : torch::Tensor();
  return std::make_unique<BurrLaw>(scale, c, k, logit);
}

TPP_REGISTER_MODEL(burr, BurrConfig, BurrImpl)

}  // namespace tpp
