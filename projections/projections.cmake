# projections/: Postgres read models (issue 6). Sources and tests of accrue_projections.
# Depends on events/ (read the log), engine/ (fold accounts, format amounts), libpqxx.
add_library(accrue_projections STATIC)
target_sources(accrue_projections PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pg_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/migrations.cpp
  ${CMAKE_CURRENT_LIST_DIR}/migrations_sql.cpp
  ${CMAKE_CURRENT_LIST_DIR}/row_batch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/event_mapper.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sharded_mapper.cpp
  ${CMAKE_CURRENT_LIST_DIR}/projector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rebuild.cpp
)
target_include_directories(accrue_projections PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(accrue_projections PUBLIC accrue_events accrue_domain PkgConfig::PQXX PkgConfig::PQ)
accrue_strict(accrue_projections)
