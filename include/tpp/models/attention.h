#pragma once
// Attention and time-encoding pieces shared by the attention-based models (sahp, attnhp), written
// with plain tensor ops that LibTorch 1.13 and 2.x both provide.
#include <torch/torch.h>

namespace tpp {

// Σ_j α_j v_j with α = softmax(q·k_j / sqrt(d)) over the keys where `allowed` is true.
// q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv], allowed bool broadcastable to [..., Lq, Lk].
// With null_slot, one extra key of score 0 and value 0 joins every softmax (the "1 + Σ exp" of
// Yang et al. 2022), so a query with nothing allowed returns 0 and the weights on real keys sum to
// at most 1. Without it every query must have at least one allowed key.
torch::Tensor masked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& allowed, bool null_slot = false);

// masked_attention where query r sees keys p <= r + diagonal (diagonal -1: strictly earlier), computed
// in blocks of query rows whose score tensors hold at most `max_scores` elements, each block over the
// keys it can see; for long sequences in large batches the full [..., Lq, Lk] scores would not fit.
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t diagonal,
                               bool null_slot, int64_t max_scores = int64_t{1} << 24);

// softmax(scores) over the last dimension restricted to `allowed` (broadcastable), with the same
// null-slot rule as masked_attention; weights of masked keys are exactly 0.
torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& allowed, bool null_slot = false);

// [..., n] -> [..., heads, n / heads] -> moved so heads sits before the sequence dimension `seq_dim`.
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads);  // [B, L, n] -> [B, heads, L, n/heads]
torch::Tensor merge_heads(const torch::Tensor& x);                 // [B, heads, L, d] -> [B, L, heads·d]

// Geometric frequencies 1 / base^(2i/dim), i < dim/2: the Transformer's sinusoid frequencies.
torch::Tensor sinusoid_frequencies(int64_t dim, double base = 10000.0);
// [sin(x·ω), cos(x·ω)] for phases x [...] and frequencies ω [dim/2]: [..., dim].
torch::Tensor sinusoid_embedding(const torch::Tensor& x, const torch::Tensor& frequencies);

}  // namespace tpp
