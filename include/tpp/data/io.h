#pragma once
// MERGE PLACEHOLDER (trainer branch): the data-readers branch owns this header. Only the part
// `tpp train` uses is declared here; take the readers branch's version of this file at merge.
#include <string>

#include "tpp/data/dataset.h"

namespace tpp {

struct ReadOptions {};

Dataset read_dataset(const std::string& path, const ReadOptions& options = {});

}  // namespace tpp
