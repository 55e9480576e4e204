// MERGE PLACEHOLDER (trainer branch): definitions owned by other branches (data readers and
// fit_mle), present only so this branch links on its own. Delete this file and its line in
// src/train/sources.cmake when merging those branches.
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/train/mle.h"

namespace tpp {

Dataset read_dataset(const std::string& path, const ReadOptions&) {
  throw Error(path + ": no data reader in this build (merge the readers branch)");
}

MleResult fit_mle(Model&, const Batch&, const MleOptions&) {
  throw Error("optimizer \"lbfgs\": fit_mle is not in this build (merge the classical-models branch)");
}

}  // namespace tpp
