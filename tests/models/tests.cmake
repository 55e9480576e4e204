list(APPEND TPP_TESTS tests/models/poisson_test.cpp)
