#pragma once
// MINIMAL DECLARATION on the siminfer branch, written against the data layer's reader so the CLI
// verbs compile; the data layer's full io.h replaces this file on merge.
#include <string>

#include "tpp/data/dataset.h"

namespace tpp {

struct ReadOptions {};

Dataset read_dataset(const std::string& path, const ReadOptions& options = {});

}  // namespace tpp
