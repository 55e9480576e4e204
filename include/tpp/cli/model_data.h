#pragma once
// The CLI reads data for a model through the library's data preparation (data/prepare.h):
// read_data_file with its companion files, featurize_texts, align_to_model.
#include "tpp/data/prepare.h"
