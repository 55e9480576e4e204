#include "tpp/train/flat_parameters.h"

#include "tpp/core/error.h"

namespace tpp {

namespace {
std::vector<torch::Tensor> trainable_parameters(torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (auto& p : module.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}
}  // namespace

FlatParameters::FlatParameters(torch::nn::Module& module) {
  auto trainable = trainable_parameters(module);
  if (trainable.empty()) throw Error("training: the model has no trainable parameters");
  int64_t total = 0;
  for (const auto& p : trainable) {
    if (p.scalar_type() != trainable.front().scalar_type() || p.device() != trainable.front().device())
      throw Error("training: parameters differ in dtype or device");
    sizes_.push_back(p.numel());
    total += p.numel();
  }
  auto options = trainable.front().options();
  flat_ = torch::empty({total}, options).requires_grad_(true);
  flat_.mutable_grad() = torch::zeros({total}, options);
  rebind(module);
}

void FlatParameters::rebind(torch::nn::Module& module) {
  auto trainable = trainable_parameters(module);
  if (trainable.size() != sizes_.size()) throw Error("training: the model's parameters changed");
  torch::NoGradGuard no_grad;
  const auto& grads = flat_.grad();
  int64_t offset = 0;
  for (std::size_t i = 0; i < trainable.size(); ++i) {
    auto& p = trainable[i];
    const int64_t n = sizes_[i];
    if (p.numel() != n) throw Error("training: the model's parameters changed");
    auto value = flat_.detach().narrow(0, offset, n).view(p.sizes());
    value.copy_(p);
    // set_data keeps the parameter object (its place in the module and in autograd) and only
    // swaps its storage; a defined grad makes backward accumulate into the view in place.
    p.set_data(value);
    p.mutable_grad() = grads.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
}

}  // namespace tpp
