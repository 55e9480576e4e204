list(APPEND TPP_TESTS tests/train/trainer_test.cpp)
