//! A document mamori writes from the institution's data (the BCP of 別紙3,
//! later the policy 第1–16条): a title and a sequence of lines — headings,
//! paragraphs, list items and table rows. Its text form, one tagged line per
//! line, is what an approved version stores: it is stable, diffs line by line
//! between versions, and reads back into the same document for the PDF and
//! the .docx.

use std::fmt::Write;

/// One line of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A section heading (1. サイバー攻撃に対する予防の徹底).
    Heading(String),
    /// A sub-heading ((1) 対策会議).
    Subheading(String),
    /// A paragraph.
    Paragraph(String),
    /// A list item.
    Item(String),
    /// A table's header row; the rows after it, up to another line kind, are its body.
    TableHead(Vec<String>),
    /// A table row.
    TableRow(Vec<String>),
}

/// A document: its title and lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The title (サイバー攻撃等を想定した事業継続計画（BCP）).
    pub title: String,
    /// Its lines, in order.
    pub lines: Vec<Line>,
}

/// Makes a line of one kind from its text.
type MakeLine = fn(String) -> Line;

/// Each kind of line's tag in the text form.
const TAGS: [(&str, MakeLine); 4] = [
    ("H", Line::Heading),
    ("S", Line::Subheading),
    ("P", Line::Paragraph),
    ("L", Line::Item),
];

/// Text kept on one line: new lines and tabs become spaces, other control
/// characters go (the tagged form is one line per line, cells split by tabs).
fn flat(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Whether a list item carries its own number (①–⑳, ア., a.), so that it is
/// printed without a bullet.
pub fn is_numbered(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(
        (chars.next(), chars.next()),
        (Some('①'..='⑳'), _) | (Some('ア'..='ン' | 'a'..='z'), Some('.'))
    )
}

impl Document {
    /// A document with `title` and no lines yet.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: flat(&title.into()),
            lines: Vec::new(),
        }
    }

    /// Adds a heading.
    pub fn heading(&mut self, text: impl AsRef<str>) {
        self.lines.push(Line::Heading(flat(text.as_ref())));
    }

    /// Adds a sub-heading.
    pub fn subheading(&mut self, text: impl AsRef<str>) {
        self.lines.push(Line::Subheading(flat(text.as_ref())));
    }

    /// Adds a paragraph per line of `text` (a multi-line answer keeps its lines).
    pub fn paragraphs(&mut self, text: impl AsRef<str>) {
        for line in text.as_ref().lines() {
            let line = flat(line);
            if !line.is_empty() {
                self.lines.push(Line::Paragraph(line));
            }
        }
    }

    /// Adds a list item.
    pub fn item(&mut self, text: impl AsRef<str>) {
        self.lines.push(Line::Item(flat(text.as_ref())));
    }

    /// Adds a table: its header and rows (each row padded or cut to the header's width).
    pub fn table(&mut self, head: &[&str], rows: Vec<Vec<String>>) {
        self.lines.push(Line::TableHead(
            head.iter().map(|cell| flat(cell)).collect(),
        ));
        for mut row in rows {
            row.resize(head.len(), String::new());
            self.lines
                .push(Line::TableRow(row.iter().map(|cell| flat(cell)).collect()));
        }
    }

    /// The text form: `T<tab>title`, then one tagged line per line (`H`, `S`,
    /// `P`, `L`, and `TH`/`TR` with tab-separated cells).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "T\t{}", self.title);
        for line in &self.lines {
            let _ = match line {
                Line::Heading(text) => writeln!(out, "H\t{text}"),
                Line::Subheading(text) => writeln!(out, "S\t{text}"),
                Line::Paragraph(text) => writeln!(out, "P\t{text}"),
                Line::Item(text) => writeln!(out, "L\t{text}"),
                Line::TableHead(cells) => writeln!(out, "TH\t{}", cells.join("\t")),
                Line::TableRow(cells) => writeln!(out, "TR\t{}", cells.join("\t")),
            };
        }
        out
    }

    /// Reads the text form back; `None` names no line, the caller reports a
    /// corrupt stored value (the text is only ever written by [`Self::to_text`]).
    pub fn from_text(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let title = lines.next()?.strip_prefix("T\t")?.to_owned();
        let mut document = Self {
            title,
            lines: Vec::new(),
        };
        for line in lines {
            let (tag, rest) = line.split_once('\t')?;
            let cells = || rest.split('\t').map(str::to_owned).collect();
            let parsed = match tag {
                "TH" => Line::TableHead(cells()),
                "TR" => Line::TableRow(cells()),
                _ => {
                    let (_, make) = TAGS.iter().find(|(known, _)| *known == tag)?;
                    make(rest.to_owned())
                }
            };
            document.lines.push(parsed);
        }
        Some(document)
    }

    /// The line as a reader sees it in a comparison (no tags; cells joined by ` | `).
    pub fn readable(line: &Line) -> String {
        match line {
            Line::Heading(text) | Line::Subheading(text) | Line::Paragraph(text) => text.clone(),
            Line::Item(text) => format!("・{text}"),
            Line::TableHead(cells) | Line::TableRow(cells) => cells.join(" | "),
        }
    }
}

/// How a line changed between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only in the newer version.
    Added,
    /// Only in the older version.
    Removed,
}

/// The lines that differ between `old` and `new`, in reading order (a changed
/// line is its removal followed by its addition).
pub fn changes(old: &Document, new: &Document) -> Vec<(ChangeKind, String)> {
    let old_lines: Vec<String> = std::iter::once(old.title.clone())
        .chain(old.lines.iter().map(Document::readable))
        .collect();
    let new_lines: Vec<String> = std::iter::once(new.title.clone())
        .chain(new.lines.iter().map(Document::readable))
        .collect();
    let old_refs: Vec<&str> = old_lines.iter().map(String::as_str).collect();
    let new_refs: Vec<&str> = new_lines.iter().map(String::as_str).collect();
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .diff_slices(&old_refs, &new_refs);
    diff.iter_all_changes()
        .filter_map(|change| match change.tag() {
            similar::ChangeTag::Delete => Some((ChangeKind::Removed, change.value().to_owned())),
            similar::ChangeTag::Insert => Some((ChangeKind::Added, change.value().to_owned())),
            similar::ChangeTag::Equal => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        let mut document = Document::new("事業継続計画（BCP）");
        document.heading("1. 予防");
        document.subheading("(1) 対策会議");
        document.paragraphs("一行目\n\n二行目\tタブ入り");
        document.item("バックアップを確認する");
        document.table(
            &["システム", "世代"],
            vec![
                vec!["電子カルテ".into(), "7".into()],
                vec!["レセコン".into()],
            ],
        );
        document
    }

    #[test]
    fn the_text_form_reads_back_into_the_same_document() {
        let document = sample();
        let text = document.to_text();
        assert!(
            text.starts_with("T\t事業継続計画（BCP）\nH\t1. 予防\n"),
            "{text}"
        );
        assert!(
            text.contains("P\t二行目 タブ入り\n"),
            "a tab inside a cell is a space"
        );
        assert!(text.contains("TR\tレセコン\t\n"), "a short row is padded");
        assert_eq!(Document::from_text(&text), Some(document));
        assert_eq!(Document::from_text("H\tno title"), None);
        assert_eq!(Document::from_text("T\tt\nX\tunknown"), None);
    }

    #[test]
    fn changes_name_the_lines_removed_and_added() {
        let old = sample();
        let mut new = sample();
        new.lines[2] = Line::Paragraph("一行目（改）".into());
        new.item("オフラインの複製を確認する");
        let found = changes(&old, &new);
        assert_eq!(
            found,
            vec![
                (ChangeKind::Removed, "一行目".to_owned()),
                (ChangeKind::Added, "一行目（改）".to_owned()),
                (ChangeKind::Added, "・オフラインの複製を確認する".to_owned()),
            ]
        );
        assert!(changes(&old, &old).is_empty());
    }
}
