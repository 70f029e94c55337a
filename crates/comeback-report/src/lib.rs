//! The self-contained HTML retention report: charts as inline SVG, six languages.
