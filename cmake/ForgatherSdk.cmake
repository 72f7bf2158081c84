# The plugin SDK as a CMake target and as installed packages.
#   Forgather::sdk   headers only: plugins link nothing of the core, they get the host
#                    table (fg_api) when the runtime loads them
#   <libdir>/cmake/Forgather/   ForgatherConfig.cmake (+Version, Targets, Plugin): for
#                    find_package(Forgather); defines Forgather::sdk,
#                    forgather_add_plugin() and FORGATHER_PLUGIN_DIR
#   <libdir>/pkgconfig/forgather.pc   the same include flags for other build systems
#   <datadir>/forgather/sdk/template  an example plugin project to copy
include(CMakePackageConfigHelpers)

add_library(forgather_sdk INTERFACE)
set_target_properties(forgather_sdk PROPERTIES EXPORT_NAME sdk)
target_include_directories(forgather_sdk INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/sdk/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
add_library(Forgather::sdk ALIAS forgather_sdk)

include(${CMAKE_CURRENT_LIST_DIR}/ForgatherPlugin.cmake)

set(FG_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Forgather)
install(TARGETS forgather_sdk EXPORT ForgatherTargets)
install(EXPORT ForgatherTargets NAMESPACE Forgather:: DESTINATION ${FG_CMAKE_INSTALL_DIR})
# Paths in the config are relative to its own location, so a moved prefix still works.
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ForgatherConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ForgatherConfig.cmake
  INSTALL_DESTINATION ${FG_CMAKE_INSTALL_DIR}
  PATH_VARS FG_PLUGIN_INSTALL_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ForgatherConfigVersion.cmake
  VERSION ${FG_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/ForgatherConfig.cmake
  ${PROJECT_BINARY_DIR}/ForgatherConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/ForgatherPlugin.cmake
  DESTINATION ${FG_CMAKE_INSTALL_DIR})

# pkg-config: prefix is found from the .pc file's own directory (relocatable like the rest).
file(RELATIVE_PATH FG_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" FG_PC_TO_PREFIX "${FG_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/forgather.pc.in ${PROJECT_BINARY_DIR}/forgather.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/forgather.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/template/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/forgather/sdk/template
  PATTERN "*.sh" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                             WORLD_READ WORLD_EXECUTE)
