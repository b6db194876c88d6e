# fleetcert_settings: what every fleetcert target compiles and links with: C++20, the version define,
# _GLIBCXX_ASSERTIONS in Debug and the sanitizers of FLEETCERT_SANITIZE. Each target links it
# PRIVATE (as ccache's StandardSettings.cmake), so a consumer of a library's C++20 headers links it too.

set(FLEETCERT_SANITIZE "" CACHE STRING
    "Sanitizers to build with, comma-separated: address, undefined, thread (ON means address,undefined)")
set_property(CACHE FLEETCERT_SANITIZE PROPERTY STRINGS "" "address,undefined" "address" "undefined" "thread"
             "thread,undefined")
set(CMAKE_CXX_EXTENSIONS OFF)

add_library(fleetcert_settings INTERFACE)
target_compile_features(fleetcert_settings INTERFACE cxx_std_20)
target_compile_definitions(fleetcert_settings INTERFACE
  FLEETCERT_VERSION="${PROJECT_VERSION}"
  $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)

# FLEETCERT_SANITIZE as a list: ON (the old boolean) is address,undefined; OFF, NO, FALSE, 0 or empty is none.
string(REPLACE "," ";" sanitizers "${FLEETCERT_SANITIZE}")
list(TRANSFORM sanitizers STRIP)
list(TRANSFORM sanitizers TOLOWER)
list(REMOVE_ITEM sanitizers "")
if(sanitizers MATCHES "^(on|yes|true|1)$")
  set(sanitizers address undefined)
elseif(sanitizers MATCHES "^(off|no|false|0)$")
  set(sanitizers "")
endif()
list(REMOVE_DUPLICATES sanitizers)
set(FLEETCERT_SANITIZERS ${sanitizers}) # the normalized list, for the rest of the project
foreach(sanitizer IN LISTS sanitizers)
  if(NOT sanitizer MATCHES "^(address|undefined|thread)$")
    message(FATAL_ERROR "FLEETCERT_SANITIZE: unknown sanitizer '${sanitizer}' in '${FLEETCERT_SANITIZE}': "
                        "use a comma-separated list of address, undefined and thread (or ON for address,undefined)")
  endif()
endforeach()
if("address" IN_LIST sanitizers AND "thread" IN_LIST sanitizers)
  message(FATAL_ERROR "FLEETCERT_SANITIZE='${FLEETCERT_SANITIZE}': AddressSanitizer and ThreadSanitizer cannot "
                      "be combined in one build: build address,undefined and thread into separate build directories")
endif()
if(sanitizers)
  list(JOIN sanitizers "," sanitizer_flag)
  message(STATUS "fleetcert: building with -fsanitize=${sanitizer_flag}")
  target_compile_options(fleetcert_settings INTERFACE -fsanitize=${sanitizer_flag} -fno-omit-frame-pointer)
  if("undefined" IN_LIST sanitizers)
    target_compile_options(fleetcert_settings INTERFACE -fno-sanitize-recover=undefined)
  endif()
  target_link_options(fleetcert_settings INTERFACE -fsanitize=${sanitizer_flag})
endif()
