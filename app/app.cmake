# ---- domain (issue 5): accrue post, accrue inspect ----
target_sources(accrue_app PRIVATE
  cmd_post.cpp
  cmd_inspect.cpp
)
target_link_libraries(accrue_app PUBLIC accrue_engine)
# ---- end domain ----
