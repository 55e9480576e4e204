list(APPEND TPP_TESTS
  tests/models/poisson_test.cpp
  tests/models/hawkes_test.cpp
  tests/models/inhibition_test.cpp
  tests/models/self_correcting_test.cpp
  tests/models/rmtpp_thp_test.cpp
  tests/models/neural_test.cpp
  tests/models/attention_test.cpp
  tests/models/expert_test.cpp
  tests/models/nhp_test.cpp
  tests/models/user_state_test.cpp
  tests/models/config_test.cpp
  tests/models/config_docs_test.cpp
  tests/models/timing_law_test.cpp
  tests/models/intensity_free_test.cpp
)
