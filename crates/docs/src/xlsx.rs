//! The checklist as an .xlsx workbook: one sheet, the same columns as the form.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::{ChecklistPrint, DocumentError};

/// The headings before the columns the institution fills in.
const LEADING_COLUMNS: [&str; 3] = ["区分", "番号", "チェック項目"];

/// Writes the checklist as one worksheet: a title block, then one row per
/// item with its section and group in the first column.
pub fn checklist_xlsx(print: &ChecklistPrint) -> Result<Vec<u8>, DocumentError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("チェックリスト")?;
    let bold = Format::new().set_font_size(14);
    let header = Format::new()
        .set_background_color("D9E1F2")
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    sheet.write_string_with_format(0, 0, &print.title, &bold)?;
    sheet.write_string(1, 0, &print.form_name)?;
    sheet.write_string(2, 0, format!("医療機関名：{}", print.institution_name))?;
    sheet.write_string(3, 0, format!("年度：{}", print.fiscal_year))?;
    sheet.write_string(4, 0, format!("出力日：{}", print.printed_on))?;
    let mut row = 6;
    let headings: Vec<&str> = LEADING_COLUMNS
        .into_iter()
        .chain(print.columns.iter().map(|column| column.heading.as_str()))
        .collect();
    for (column, name) in headings.iter().enumerate() {
        sheet.write_string_with_format(row, column_index(column)?, *name, &header)?;
    }
    let widths = [22.0, 8.0, 60.0];
    for (column, width) in widths.iter().enumerate() {
        sheet.set_column_width(column_index(column)?, *width)?;
    }
    for (offset, column) in print.columns.iter().enumerate() {
        let width = if column.heading == "備考" {
            30.0
        } else {
            18.0
        };
        sheet.set_column_width(column_index(LEADING_COLUMNS.len() + offset)?, width)?;
    }
    let mut write_row = |row: u32,
                         place: &str,
                         number: &str,
                         text: &str,
                         cells: &[String]|
     -> Result<(), DocumentError> {
        let values = [place, number, text]
            .into_iter()
            .chain(cells.iter().map(String::as_str));
        for (column, value) in values.enumerate() {
            sheet.write_string_with_format(row, column_index(column)?, value, &cell)?;
        }
        Ok(())
    };
    if let Some(gate) = &print.gate {
        row += 1;
        // The question's answer sits in the first column, its remarks in 備考.
        let cells: Vec<String> = print
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| match (index, column.heading.as_str()) {
                (0, _) => gate.answer.clone(),
                (_, "備考") => gate.remarks.clone(),
                _ => String::new(),
            })
            .collect();
        write_row(row, "医療情報システムの有無", "", &gate.text, &cells)?;
    }
    for section in &print.sections {
        for group in &section.groups {
            for block in &group.blocks {
                for item in &block.rows {
                    row += 1;
                    let place = match &block.heading {
                        Some(heading) => format!("{} {} {}", section.heading, group.name, heading),
                        None => format!("{} {}", section.heading, group.name),
                    };
                    write_row(row, &place, &item.number, &item.text, &item.cells)?;
                }
            }
        }
    }
    for line in &print.footer {
        row += 2;
        sheet.write_string(row, 0, line)?;
    }
    // Printed as the official form is: A4 portrait, every column on the
    // page, the heading row on every page, page numbers at the foot.
    set_up_printing(sheet, Orientation::Portrait, 6)?;
    Ok(workbook.save_to_buffer()?)
}

fn column_index(column: usize) -> Result<u16, DocumentError> {
    u16::try_from(column).map_err(|_| DocumentError::Template("too many columns".to_owned()))
}

/// Which way a sheet is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orientation {
    Portrait,
    Landscape,
}

/// Excel's code for A4 paper.
const A4: u8 = 9;

/// A4 in `orientation`, scaled to the page width (as many pages long as it
/// takes), `header_row` repeated at the top of each page, and "page / pages"
/// in the footer.
fn set_up_printing(
    sheet: &mut rust_xlsxwriter::Worksheet,
    orientation: Orientation,
    header_row: u32,
) -> Result<(), DocumentError> {
    sheet.set_paper_size(A4);
    if orientation == Orientation::Landscape {
        sheet.set_landscape();
    }
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(header_row, header_row)?;
    sheet.set_footer("&C&P / &N");
    Ok(())
}

/// A ledger as a workbook: one sheet named `sheet`, the header in row 1 (bold,
/// frozen, filtered) and one row per record, every cell as text so that
/// 管理番号 like `001` and dates keep their exact form. Read back by import,
/// it gives the same rows.
pub fn table_xlsx(
    sheet_name: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, DocumentError> {
    let mut workbook = Workbook::new();
    write_table(workbook.add_worksheet(), sheet_name, header, rows)?;
    Ok(workbook.save_to_buffer()?)
}

/// Several tables as one workbook, a sheet each, laid out as [`table_xlsx`]'s.
pub fn sheets_xlsx(sheets: &[crate::SheetPrint]) -> Result<Vec<u8>, DocumentError> {
    let mut workbook = Workbook::new();
    for print in sheets {
        let header: Vec<&str> = print.header.iter().map(String::as_str).collect();
        write_table(workbook.add_worksheet(), &print.name, &header, &print.rows)?;
    }
    Ok(workbook.save_to_buffer()?)
}

fn write_table(
    sheet: &mut rust_xlsxwriter::Worksheet,
    sheet_name: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<(), DocumentError> {
    sheet.set_name(sheet_name)?;
    let bold = Format::new()
        .set_bold()
        .set_background_color("D9E1F2")
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    for (column, name) in header.iter().enumerate() {
        let column = u16::try_from(column).map_err(|_| too_wide())?;
        sheet.write_string_with_format(0, column, *name, &bold)?;
        sheet.set_column_width(column, 16.0)?;
    }
    for (index, cells) in rows.iter().enumerate() {
        let row = u32::try_from(index + 1).map_err(|_| too_wide())?;
        for (column, value) in cells.iter().enumerate() {
            let column = u16::try_from(column).map_err(|_| too_wide())?;
            if !value.is_empty() {
                sheet.write_string_with_format(row, column, value, &text)?;
            }
        }
    }
    if !header.is_empty() {
        let last_column = u16::try_from(header.len() - 1).map_err(|_| too_wide())?;
        let last_row = u32::try_from(rows.len()).map_err(|_| too_wide())?;
        sheet.autofilter(0, 0, last_row, last_column)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // A ledger has many columns: A4 landscape, fitted to the width.
    set_up_printing(sheet, Orientation::Landscape, 0)?;
    Ok(())
}

fn too_wide() -> DocumentError {
    DocumentError::Workbook(rust_xlsxwriter::XlsxError::RowColumnLimitError)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn part(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut text = String::new();
        archive
            .by_name(name)
            .expect("the part")
            .read_to_string(&mut text)
            .expect("text");
        text
    }

    #[test]
    fn a_ledger_workbook_prints_on_a4_landscape_fitted_to_the_width_with_its_header_on_every_page()
    {
        let rows = vec![vec!["パソコン".to_owned(), "PC-001".to_owned()]];
        let bytes = table_xlsx("使用機器一覧表", &["種別", "管理番号"], &rows).expect("workbook");
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains(r#"paperSize="9""#), "{sheet}");
        assert!(sheet.contains(r#"orientation="landscape""#), "{sheet}");
        assert!(sheet.contains(r#"fitToHeight="0""#), "{sheet}");
        assert!(sheet.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "{sheet}");
        assert!(sheet.contains("&amp;P / &amp;N"), "{sheet}");
        let workbook = part(&bytes, "xl/workbook.xml");
        assert!(
            workbook.contains("_xlnm.Print_Titles") && workbook.contains("$1:$1"),
            "{workbook}"
        );
    }
}
