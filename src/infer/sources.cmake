list(APPEND TPP_SOURCES
  src/infer/predict.cpp
  src/infer/head_prediction.cpp
  src/infer/state_prediction.cpp
  src/infer/next_event.cpp
  src/infer/sampling.cpp
  src/infer/plot.cpp
  src/infer/predictor.cpp
  src/infer/intensity_error.cpp
  src/infer/simulation.cpp
)
