list(APPEND TPP_TESTS tests/models/poisson_test.cpp
  tests/models/hawkes_test.cpp
  tests/models/inhibition_test.cpp
  tests/models/self_correcting_test.cpp)
list(APPEND TPP_TESTS tests/models/poisson_test.cpp)
list(APPEND TPP_TESTS tests/models/neural_test.cpp)
