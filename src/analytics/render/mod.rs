//! How the report is printed: a page of HTML with SVG charts, and each table as CSV.

pub mod html;
pub mod svg;
pub mod table_sheet;
