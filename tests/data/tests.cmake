list(APPEND TPP_TESTS tests/data/batch_test.cpp)
