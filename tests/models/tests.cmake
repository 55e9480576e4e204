list(APPEND TPP_TESTS tests/models/poisson_test.cpp)
list(APPEND TPP_TESTS tests/models/neural_test.cpp)
list(APPEND TPP_TESTS tests/models/nhp_test.cpp)
