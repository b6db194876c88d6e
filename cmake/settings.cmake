# Interface targets that carry the project's compile settings.

add_library(fleetcert_settings INTERFACE)
target_compile_features(fleetcert_settings INTERFACE cxx_std_20)
target_compile_options(fleetcert_settings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
target_compile_definitions(fleetcert_settings INTERFACE
  FLEETCERT_VERSION="${PROJECT_VERSION}"
  $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
set(CMAKE_CXX_EXTENSIONS OFF)

if(FLEETCERT_SANITIZE)
  target_compile_options(fleetcert_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=undefined)
  target_link_options(fleetcert_settings INTERFACE -fsanitize=address,undefined)
endif()

# Standalone Asio, header-only.
add_library(fleetcert_asio INTERFACE)
target_include_directories(fleetcert_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
target_compile_definitions(fleetcert_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
target_link_libraries(fleetcert_asio INTERFACE Threads::Threads)
# g++ 12 reports Asio's coroutine frame allocator (operator new/delete of awaitable_frame_base) as
# mismatched once inlined: a known false positive (GCC PR 109224).
target_compile_options(fleetcert_asio INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
