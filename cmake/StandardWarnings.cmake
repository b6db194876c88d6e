# fleetcert_warnings: the warnings every fleetcert target compiles with, and -Werror when FLEETCERT_WERROR
# is on (CI sets it). Each target links it PRIVATE (as ccache's StandardWarnings.cmake), so the
# warnings apply to fleetcert's own code and never leak into a consumer's flags.

option(FLEETCERT_WERROR "Treat compiler warnings as errors (CI turns it on)" OFF)

add_library(fleetcert_warnings INTERFACE)
target_compile_options(fleetcert_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                       $<$<BOOL:${FLEETCERT_WERROR}>:-Werror>)
