# forgather_add_plugin(NAME SOURCES src... [LIBRARIES lib...])
# Builds libfg_NAME.so: only the SDK headers (Forgather::sdk), hidden visibility, no
# undefined symbols (everything from the host comes through fg_api at load time), C11.
# One file for both contexts: the source tree includes it for the built-in plugins, and
# it is installed beside ForgatherConfig.cmake, so third-party plugins are built the same
# way. Installs the plugin into <the project's prefix>/<libdir>/forgather/plugins.
include_guard(GLOBAL)
include(GNUInstallDirs)
find_library(FORGATHER_MATH_LIB m)

function(forgather_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "forgather_add_plugin(${name}): no SOURCES given")
  endif()
  set(target fg_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF
    C_VISIBILITY_PRESET hidden)
  # The source tree gathers its plugins in one directory (FG_PLUGIN_OUTPUT_DIR) and has
  # its own warning policy (FG_WARNINGS); other projects get -Wall -Wextra.
  if(DEFINED FG_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${FG_PLUGIN_OUTPUT_DIR})
  endif()
  if(DEFINED FG_WARNINGS)
    target_compile_options(${target} PRIVATE ${FG_WARNINGS})
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  endif()
  target_link_options(${target} PRIVATE -Wl,-z,defs)
  target_link_libraries(${target} PRIVATE Forgather::sdk ${ARG_LIBRARIES})
  if(FORGATHER_MATH_LIB)
    target_link_libraries(${target} PRIVATE ${FORGATHER_MATH_LIB})
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/forgather/plugins)
endfunction()
