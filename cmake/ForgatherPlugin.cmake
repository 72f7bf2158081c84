# forgather_add_plugin(NAME SOURCES src...)
# Builds libfg_NAME.so exactly as a third party would: only the SDK headers, hidden
# visibility, no undefined symbols (everything from the host comes through fg_api).
function(forgather_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target fg_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    C_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY ${FG_PLUGIN_OUTPUT_DIR})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/sdk/include)
  target_compile_options(${target} PRIVATE ${FG_WARNINGS})
  target_link_options(${target} PRIVATE -Wl,-z,defs)
  target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES} ${MATH_LIB})
  install(TARGETS ${target} LIBRARY DESTINATION ${FG_PLUGIN_INSTALL_DIR})
endfunction()
