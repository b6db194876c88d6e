#pragma once
// One self-contained HTML page (the scan report's and, later, readiness' and diff's): Chart.js and
// the page's own script and style inlined, the report's data as JSON inside a
// <script type="application/json"> block that the page's script renders as text, never as markup.
// A Content-Security-Policy allows no network fetch and runs only the page's two scripts.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace fleetcert {

// The embedded assets (generated from reports/html/ and Debian's libjs-chart.js at build time).
std::string_view html_chart_js();     // Chart.js, UMD build
std::string_view html_page_script();  // reports/html/page.js
std::string_view html_page_style();   // reports/html/page.css

// `data` as JSON safe inside a <script> element: invalid UTF-8 replaced, and every '<', '>', '&',
// U+2028 and U+2029 written as a \u escape, so no "</script>" or "<!--" can appear in it.
std::string json_for_script(const nlohmann::json& data);

// `text` with &, <, >, " and ' as character references, for text the page itself writes.
std::string html_escape(std::string_view text);

// The whole page: `title` in <title>, `data` (with "page": the page kind the script renders, e.g.
// "scan") in the data block, the assets inlined.
std::string html_page(std::string_view title, const nlohmann::json& data);

} // namespace fleetcert
