list(APPEND TPP_SOURCES
  src/data/batch.cpp
  src/data/dataset.cpp
  src/data/easytpp.cpp
  src/data/event_table.cpp
  src/data/event_log.cpp
  src/data/event_store.cpp
  src/data/store_conversion.cpp
  src/data/io.cpp
  src/data/prepare.cpp
  src/data/rmtpp.cpp
  src/data/sequence_source.cpp
  src/data/split.cpp
  src/data/store_source.cpp
  src/data/summary.cpp
  src/data/text_features.cpp
  src/data/user_id_features.cpp
)
