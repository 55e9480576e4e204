// Do concurrent LibTorch CPU calls give the results they give alone? Eight threads step a shared
// GRU (float64, batch 1, as RMTPP's user state does; LibTorch calls BLAS for its products) 40
// times, 500 rounds; every thread's result is compared bit for bit with the same steps run alone.
// Prints the count of differing runs and exits 1 if any differ.
//
// Measured on this machine with Debian's libopenblas0-serial 0.3.21 as libblas.so.3: 76 and 54 of
// 4000 runs differ in two trials; with the reference BLAS preloaded
// (LD_PRELOAD=/usr/lib/x86_64-linux-gnu/blas/libblas.so.3) 0 of 4000 in two trials. That serial OpenBLAS is not
// safe to call from several threads at once, which is why the server runs one model call at a
// time (serve/served_model.h).
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

int main() {
  torch::manual_seed(5);
  torch::nn::GRU gru(torch::nn::GRUOptions(5, 8).batch_first(true));
  gru->to(torch::kFloat64);
  gru->eval();
  auto run = [&](int t) {
    torch::NoGradGuard no_grad;
    auto h = torch::zeros({1, 1, 8}, torch::kFloat64);
    for (int n = 0; n < 40; ++n) {
      auto input = torch::full({1, 1, 5}, 0.37 + 0.01 * t + 0.1 * std::sin(n), torch::kFloat64);
      h = std::get<1>(gru->forward(input, h));
    }
    return h;
  };
  constexpr int kThreads = 8, kRounds = 500;
  std::vector<torch::Tensor> alone(kThreads);
  for (int t = 0; t < kThreads; ++t) alone[t] = run(t);
  long differing = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<torch::Tensor> together(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back([&, t] { together[t] = run(t); });
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) differing += !torch::equal(together[t], alone[t]);
  }
  std::printf("%ld of %d concurrent runs differ from the same run alone\n", differing, kThreads * kRounds);
  return differing == 0 ? 0 : 1;
}
