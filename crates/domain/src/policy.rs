//! The security policy (医療情報システム安全管理方針, 第1条–第16条, with
//! 【別紙2】 職員業務方針) written from the institution's data (issue #15).
//!
//! The wording is data: `catalogs/policy.txt`, a template whose grammar its
//! header explains. A template names facts (`{planning_manager}`), which
//! [`PolicyFacts`] fills from mamori's records, and choices (`[[if
//! usage_log]]…[[else]]…[[end]]`), which the institution answers in a short
//! form ([`PolicyAnswers`]). [`PolicyTemplate::compose`] turns the three into
//! a [`Document`], the same kind of document the BCP is, so versions, their
//! diff, the PDF and the .docx work alike.

use std::collections::BTreeMap;

use crate::document::{Document, is_numbered};
use crate::error::{ParseError, ParseErrorKind};

/// The shipped template.
const BUILTIN: &str = include_str!("../../../catalogs/policy.txt");

/// The facts a template may name, each with what it holds.
pub const FACT_NAMES: [(&str, &str); 14] = [
    ("institution", "医療機関等の名称"),
    ("self", "自施設の呼び方（当院・当薬局）"),
    ("kind", "種別（病院・診療所・薬局）"),
    ("prefecture", "都道府県"),
    ("security_manager", "医療情報システム安全管理責任者の氏名"),
    ("planning_manager", "企画管理者の氏名"),
    ("system_operators", "システム運用担当者の氏名"),
    ("vendors", "委託先の事業者と保守するもの"),
    ("devices_count", "使用機器一覧表の台数"),
    ("contact_chart", "連絡体制図についての一文"),
    ("review_month", "年1回の見直しの月"),
    ("check_day", "サイバーセキュリティチェックの日"),
    ("carry_out_approver", "持ち出しを許可する者"),
    ("documents", "第16条の文書の整備状況"),
];

/// What mamori's records say, for the template's `{…}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyFacts {
    /// 医療機関等の名称.
    pub institution: String,
    /// 病院, 診療所 or 薬局.
    pub kind: String,
    /// Its 都道府県 (for the police desk).
    pub prefecture: String,
    /// The 安全管理責任者, by name.
    pub security_managers: Vec<String>,
    /// The 企画管理者, by name.
    pub planning_managers: Vec<String>,
    /// The システム運用担当者, by name.
    pub system_operators: Vec<String>,
    /// Each vendor with what it maintains.
    pub vendors: Vec<(String, String)>,
    /// How many devices the 使用機器一覧表 holds (not disposed).
    pub devices: usize,
    /// The contact chart's last yearly check, when there was one.
    pub contact_chart_checked: Option<jiff::civil::Date>,
    /// 第16条's documents and where each stands, e.g. ("BCP", "第2版 承認済み").
    pub documents: Vec<(String, String)>,
}

/// Names joined with 、, or （未登録） when there are none.
fn names(list: &[String]) -> String {
    if list.is_empty() {
        "（未登録）".to_owned()
    } else {
        list.join("、")
    }
}

impl PolicyFacts {
    /// The text of fact `name` with `answers` (the review month and check day
    /// are the institution's answers); `None` for a name the template may not use.
    fn value(&self, name: &str, answers: &PolicyAnswers) -> Option<String> {
        Some(match name {
            "institution" => self.institution.clone(),
            "self" => if self.kind == "薬局" {
                "当薬局"
            } else {
                "当院"
            }
            .to_owned(),
            "kind" => self.kind.clone(),
            "prefecture" => self.prefecture.clone(),
            "security_manager" => names(&self.security_managers),
            "planning_manager" => names(&self.planning_managers),
            "system_operators" => names(&self.system_operators),
            "vendors" if self.vendors.is_empty() => "（未登録）".to_owned(),
            "vendors" => self
                .vendors
                .iter()
                .map(|(vendor, systems)| {
                    if systems.is_empty() {
                        vendor.clone()
                    } else {
                        format!("{vendor}（{systems}）")
                    }
                })
                .collect::<Vec<_>>()
                .join("、"),
            "devices_count" => self.devices.to_string(),
            "contact_chart" => match self.contact_chart_checked {
                Some(day) => format!(
                    "連絡先は連絡体制図（最終確認 {}）による。",
                    crate::calendar::format_date_ja(day)
                ),
                None => "連絡先は連絡体制図による。".to_owned(),
            },
            "review_month" => format!("{}月", answers.review_month),
            "check_day" => format!("毎月{}日", answers.check_day),
            "carry_out_approver" => format!("企画管理者（{}）", names(&self.planning_managers)),
            "documents" if self.documents.is_empty() => "（記録なし）".to_owned(),
            "documents" => self
                .documents
                .iter()
                .map(|(what, state)| format!("{what}：{state}"))
                .collect::<Vec<_>>()
                .join("、"),
            _ => return None,
        })
    }
}

/// A choice the institution makes, as the template declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChoice {
    /// Its key in the template, e.g. `usage_log`.
    pub key: String,
    /// The question in Japanese.
    pub question_ja: String,
    /// The question in English.
    pub question_en: String,
    /// The answer until the institution gives one.
    pub default: bool,
}

/// The institution's answers: each choice, the month of the yearly review
/// and the day of the monthly check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAnswers {
    /// By choice key; a key not here takes the template's default.
    pub choices: BTreeMap<String, bool>,
    /// 1–12.
    pub review_month: u8,
    /// 1–28.
    pub check_day: u8,
}

impl Default for PolicyAnswers {
    /// No choice made; the review in April (the 年度's start), the check on the 1st.
    fn default() -> Self {
        Self {
            choices: BTreeMap::new(),
            review_month: 4,
            check_day: 1,
        }
    }
}

impl PolicyAnswers {
    /// The answer to `key`, or the template's default.
    pub fn choice(&self, choice: &PolicyChoice) -> bool {
        self.choices
            .get(&choice.key)
            .copied()
            .unwrap_or(choice.default)
    }
}

/// One piece of a template line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Fact(String),
    If {
        choice: String,
        then: Vec<Piece>,
        otherwise: Vec<Piece>,
    },
}

/// The kind of a template line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    Paragraph,
    Item,
}

/// A template that does not read: the line (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy template, line {line}: {problem}")]
pub struct TemplateError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// A policy template: its title, its choices and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTemplate {
    /// The document's title.
    pub title: String,
    /// The choices, in the template's order.
    pub choices: Vec<PolicyChoice>,
    lines: Vec<(Kind, Vec<Piece>)>,
}

/// An `[[if]]` being read: its choice, its pieces, and those after `[[else]]`.
type Open = (String, Vec<Piece>, Option<Vec<Piece>>);

/// Reads `[[if key]]…[[else]]…[[end]]` and `{fact}` in one line.
fn pieces(text: &str, choices: &[PolicyChoice]) -> Result<Vec<Piece>, String> {
    let mut stack: Vec<Open> = Vec::new();
    let mut out: Vec<Piece> = Vec::new();
    let mut rest = text;
    let push = |stack: &mut Vec<Open>, out: &mut Vec<Piece>, piece: Piece| match stack.last_mut() {
        Some((_, _, Some(otherwise))) => otherwise.push(piece),
        Some((_, then, None)) => then.push(piece),
        None => out.push(piece),
    };
    while !rest.is_empty() {
        let next = [rest.find("[["), rest.find('{')]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = next else {
            push(&mut stack, &mut out, Piece::Text(rest.to_owned()));
            break;
        };
        if at > 0 {
            push(&mut stack, &mut out, Piece::Text(rest[..at].to_owned()));
        }
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix('{') {
            let end = after.find('}').ok_or("a { without }")?;
            let name = &after[..end];
            if !FACT_NAMES.iter().any(|(known, _)| *known == name) {
                return Err(format!("unknown fact {{{name}}}"));
            }
            push(&mut stack, &mut out, Piece::Fact(name.to_owned()));
            rest = &after[end + 1..];
            continue;
        }
        let end = rest.find("]]").ok_or("a [[ without ]]")?;
        let tag = &rest[2..end];
        rest = &rest[end + 2..];
        if let Some(key) = tag.strip_prefix("if ") {
            if !choices.iter().any(|c| c.key == key) {
                return Err(format!("unknown choice {key}"));
            }
            stack.push((key.to_owned(), Vec::new(), None));
        } else if tag == "else" {
            match stack.last_mut() {
                Some((_, _, otherwise @ None)) => *otherwise = Some(Vec::new()),
                _ => return Err("[[else]] without [[if]]".to_owned()),
            }
        } else if tag == "end" {
            let (choice, then, otherwise) = stack.pop().ok_or("[[end]] without [[if]]")?;
            push(
                &mut stack,
                &mut out,
                Piece::If {
                    choice,
                    then,
                    otherwise: otherwise.unwrap_or_default(),
                },
            );
        } else {
            return Err(format!("unknown tag [[{tag}]]"));
        }
    }
    if stack.is_empty() {
        Ok(out)
    } else {
        Err("[[if]] without [[end]]".to_owned())
    }
}

fn render(pieces: &[Piece], facts: &PolicyFacts, answers: &PolicyAnswers, out: &mut String) {
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Fact(name) => out.push_str(&facts.value(name, answers).unwrap_or_default()),
            Piece::If {
                choice,
                then,
                otherwise,
            } => {
                // `compose` gave every choice its answer or default.
                let yes = answers.choices.get(choice).copied().unwrap_or(false);
                render(if yes { then } else { otherwise }, facts, answers, out);
            }
        }
    }
}

impl PolicyTemplate {
    /// The shipped template (`catalogs/policy.txt`).
    pub fn builtin() -> Result<Self, TemplateError> {
        Self::parse(BUILTIN)
    }

    /// Reads a template, naming the first wrong line.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut title = None;
        let mut choices: Vec<PolicyChoice> = Vec::new();
        let mut lines = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let fail = |problem: String| TemplateError {
                line: index + 1,
                problem,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(spec) = line.strip_prefix("choice:") {
                let parts: Vec<&str> = spec.split('|').map(str::trim).collect();
                let [key, ja, en, default] = parts.as_slice() else {
                    return Err(fail("a choice needs key | ja | en | yes/no".to_owned()));
                };
                let valid_key =
                    !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if !valid_key || choices.iter().any(|c| c.key == *key) {
                    return Err(fail(format!("choice key {key:?} is not new snake_case")));
                }
                let default = match *default {
                    "yes" => true,
                    "no" => false,
                    other => return Err(fail(format!("default {other:?} is not yes or no"))),
                };
                if ja.is_empty() || en.is_empty() {
                    return Err(fail("a choice needs both questions".to_owned()));
                }
                choices.push(PolicyChoice {
                    key: (*key).to_owned(),
                    question_ja: (*ja).to_owned(),
                    question_en: (*en).to_owned(),
                    default,
                });
                continue;
            }
            if let Some(text) = line.strip_prefix("title:") {
                title = Some(text.trim().to_owned());
                continue;
            }
            let (kind, body) = match line.strip_prefix("==") {
                Some(heading) => (Kind::Heading, heading.trim()),
                None if is_numbered(line) => (Kind::Item, line),
                None => (Kind::Paragraph, line),
            };
            lines.push((kind, pieces(body, &choices).map_err(fail)?));
        }
        let title = title.ok_or(TemplateError {
            line: 0,
            problem: "no title: line".to_owned(),
        })?;
        if !lines.iter().any(|(kind, _)| *kind == Kind::Heading) {
            return Err(TemplateError {
                line: 0,
                problem: "no == heading".to_owned(),
            });
        }
        Ok(Self {
            title,
            choices,
            lines,
        })
    }

    /// The policy for `facts` and `answers`; a line that comes out empty is left out.
    pub fn compose(&self, facts: &PolicyFacts, answers: &PolicyAnswers) -> Document {
        let mut answers = answers.clone();
        for choice in &self.choices {
            let value = answers.choice(choice);
            answers.choices.insert(choice.key.clone(), value);
        }
        let mut document = Document::new(&self.title);
        for (kind, pieces) in &self.lines {
            let mut text = String::new();
            render(pieces, facts, &answers, &mut text);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match kind {
                Kind::Heading => document.heading(text),
                Kind::Item => document.item(text),
                Kind::Paragraph => document.paragraphs(text),
            }
        }
        document
    }

    /// The answers in a form (`choice_<key>` = yes/no, `review_month`,
    /// `check_day`); every wrong field is named.
    pub fn parse_answers<'a>(
        &self,
        field: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<PolicyAnswers, Vec<ParseError>> {
        let mut errors = Vec::new();
        let mut answers = PolicyAnswers::default();
        for choice in &self.choices {
            match field(&format!("choice_{}", choice.key)).map(str::trim) {
                Some("yes") => {
                    answers.choices.insert(choice.key.clone(), true);
                }
                Some("no") => {
                    answers.choices.insert(choice.key.clone(), false);
                }
                _ => errors.push(
                    ParseError::new("choice", ParseErrorKind::UnknownChoice)
                        .with_subject(choice.question_ja.clone()),
                ),
            }
        }
        let number = |name: &'static str, max: i64| {
            field(name)
                .map(str::trim)
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| (1..=max).contains(n))
                .and_then(|n| u8::try_from(n).ok())
                .ok_or(ParseError::new(
                    name,
                    ParseErrorKind::OutOfRange { min: 1, max },
                ))
        };
        match number("review_month", 12) {
            Ok(month) => answers.review_month = month,
            Err(error) => errors.push(error),
        }
        match number("check_day", 28) {
            Ok(day) => answers.check_day = day,
            Err(error) => errors.push(error),
        }
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    }
}

/// Whether a member of staff should have acknowledged the current version by
/// `today`: not yet done, and joined (or no 入職日 recorded; a future hire is
/// not due before their first day).
pub fn acknowledgement_due(
    acknowledged: bool,
    joined_on: Option<jiff::civil::Date>,
    today: jiff::civil::Date,
) -> bool {
    !acknowledged && joined_on.is_none_or(|day| day <= today)
}

/// The answers as stored: `key=yes|no` per choice, then `review_month=N`
/// and `check_day=N`, one per line.
pub fn answers_to_text(answers: &PolicyAnswers) -> String {
    let mut text = String::new();
    for (key, value) in &answers.choices {
        text.push_str(&format!("{key}={}\n", if *value { "yes" } else { "no" }));
    }
    text.push_str(&format!(
        "review_month={}\ncheck_day={}\n",
        answers.review_month, answers.check_day
    ));
    text
}

/// Reads [`answers_to_text`]; `None` when it is not that form.
pub fn answers_from_text(text: &str) -> Option<PolicyAnswers> {
    let mut answers = PolicyAnswers::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line.split_once('=')?;
        match (key, value) {
            ("review_month", n) => answers.review_month = n.parse().ok()?,
            ("check_day", n) => answers.check_day = n.parse().ok()?,
            (key, "yes") => {
                answers.choices.insert(key.to_owned(), true);
            }
            (key, "no") => {
                answers.choices.insert(key.to_owned(), false);
            }
            _ => return None,
        }
    }
    Some(answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Line;

    fn facts() -> PolicyFacts {
        PolicyFacts {
            institution: "まもりクリニック".into(),
            kind: "診療所".into(),
            prefecture: "徳島県".into(),
            security_managers: vec!["守 太郎".into()],
            planning_managers: vec!["企画 次郎".into()],
            system_operators: vec![],
            vendors: vec![("阿波システム".into(), "電子カルテ".into())],
            devices: 12,
            contact_chart_checked: None,
            documents: vec![("BCP".into(), "第1版".into())],
        }
    }

    fn text_of(document: &Document) -> String {
        document
            .lines
            .iter()
            .map(|line| match line {
                Line::Heading(t) | Line::Subheading(t) | Line::Paragraph(t) | Line::Item(t) => {
                    t.clone()
                }
                Line::TableHead(cells) | Line::TableRow(cells) => cells.join(" "),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_shipped_template_has_all_sixteen_articles_and_the_staff_rules() {
        let template = PolicyTemplate::builtin().expect("the shipped template reads");
        let document = template.compose(&facts(), &PolicyAnswers::default());
        let headings: Vec<&str> = document
            .lines
            .iter()
            .filter_map(|line| match line {
                Line::Heading(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        for n in 1..=16 {
            assert!(
                headings.iter().any(|h| h.starts_with(&format!("第{n}条 "))),
                "第{n}条 in {headings:?}"
            );
        }
        assert!(headings.iter().any(|h| h.contains("【別紙2】")));
        let text = text_of(&document);
        for left in ["○○", "〇〇", "{", "}", "[[", "]]"] {
            assert!(!text.contains(left), "{left} left in the policy");
        }
        assert!(text.contains("まもりクリニック"));
        assert!(text.contains("守 太郎"));
        assert!(text.contains("阿波システム（電子カルテ）"));
        assert!(text.contains("12台"));
        assert!(text.contains("徳島県警察"));
        assert!(text.contains("当院"));
        assert!(text.contains("医療情報システムの安全管理に関するガイドライン第6.0版"));
        assert!(text.contains("個人情報保護法第26条"));
    }

    #[test]
    fn choices_change_the_text_and_a_pharmacy_calls_itself_so() {
        let template = PolicyTemplate::builtin().expect("template");
        let mut answers = PolicyAnswers::default();
        answers.choices.insert("usage_log".into(), true);
        let with_log = text_of(&template.compose(&facts(), &answers));
        answers.choices.insert("usage_log".into(), false);
        let without = text_of(&template.compose(&facts(), &answers));
        assert!(with_log.contains("使用管理簿を作成し"));
        assert!(without.contains("使用管理簿は作成しない"));
        assert!(!without.contains("使用管理簿を作成し、"));
        let pharmacy = PolicyFacts {
            kind: "薬局".into(),
            ..facts()
        };
        let text = text_of(&template.compose(&pharmacy, &answers));
        assert!(text.contains("当薬局"));
        assert!(!text.contains("当院"));
    }

    #[test]
    fn staff_are_due_from_their_first_day_until_they_acknowledge() {
        use jiff::civil::date;
        let today = date(2026, 12, 3);
        assert!(acknowledgement_due(false, None, today));
        assert!(acknowledgement_due(false, Some(today), today));
        assert!(!acknowledgement_due(false, Some(date(2027, 4, 1)), today));
        assert!(!acknowledgement_due(true, Some(date(2020, 4, 1)), today));
    }

    #[test]
    fn a_broken_template_names_its_line() {
        let good = "title: T\n== 第1条 X\n";
        assert!(PolicyTemplate::parse(good).is_ok());
        for (bad, line) in [
            ("title: T\n== H\n{nope}\n", 3),
            ("title: T\n== H\n[[if usage_log]]x[[end]]\n", 3),
            ("title: T\nchoice: a | q | q | yes\n== H\n[[if a]]x\n", 4),
            ("title: T\n== H\nx[[end]]\n", 3),
            ("title: T\nchoice: a | q | q | maybe\n== H\n", 2),
            (
                "title: T\nchoice: a | q | q | yes\nchoice: a | q | q | no\n== H\n",
                3,
            ),
            ("== H\n", 0),
        ] {
            let error = PolicyTemplate::parse(bad).expect_err(bad);
            assert_eq!(error.line, line, "{bad}: {error}");
        }
    }

    #[test]
    fn answers_are_read_from_the_form_and_round_trip() {
        let template = PolicyTemplate::builtin().expect("template");
        let mut form: BTreeMap<String, String> = template
            .choices
            .iter()
            .map(|c| (format!("choice_{}", c.key), "no".to_owned()))
            .collect();
        form.insert("review_month".into(), "10".into());
        form.insert("check_day".into(), "15".into());
        let answers = template
            .parse_answers(|name| form.get(name).map(String::as_str))
            .expect("answers");
        assert_eq!(answers.review_month, 10);
        assert!(answers.choices.values().all(|v| !v));
        assert_eq!(answers_from_text(&answers_to_text(&answers)), Some(answers));
        form.insert("check_day".into(), "31".into());
        form.insert("choice_usage_log".into(), "maybe".into());
        let errors = template
            .parse_answers(|name| form.get(name).map(String::as_str))
            .expect_err("bad");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(answers_from_text("x"), None);
    }
}
