#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kq {

inline constexpr int kCompareSchemaVersion = 1;

/// One design's run in a comparison.
struct CompareRun {
  std::string arch_path;          ///< the architecture file, as given
  std::string report_path;        ///< its report.json, relative to the comparison directory
  nlohmann::ordered_json report;  ///< that report.json
};

/// compare.json (schema in docs/REPORTS.md) from the runs of one workload on several designs;
/// runs[0] is the baseline every ratio refers to. Every figure is copied from the runs'
/// reports; the ratios are baseline / design ("× fewer", "× less", speed-up) except
/// `area_ratio` (design / baseline, "× the area"). Throws std::runtime_error when the runs
/// are not comparable: other workloads, modes or seeds, or different input or weight tensors.
nlohmann::ordered_json compare_to_json(const std::vector<CompareRun>& runs);

/// compare.csv: one row per design and layer (a "total" row first per design).
std::string compare_csv(const nlohmann::ordered_json& c);
/// A figure drawn by scripts/plot_compare.py (linked from compare.md, embedded in index.html).
struct PageFigure {
  std::string title;
  std::string stem;       ///< file name without extension under plots/
  std::string png_bytes;  ///< the PNG file's content
};

/// compare.md: the headline table, links to the figures, energy and area by component,
/// per-layer tables.
std::string compare_markdown(const nlohmann::ordered_json& c,
                             const std::vector<PageFigure>& figures = {});
/// The headline table for the terminal.
std::string compare_console(const nlohmann::ordered_json& c);
/// index.html: one self-contained page (no scripts, no external resources) with the
/// tables of compare.md and the figures embedded as data URIs.
std::string compare_html(const nlohmann::ordered_json& c, const std::vector<PageFigure>& figures);

}  // namespace kq
