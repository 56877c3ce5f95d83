//! The whole incident on paper and as a workbook (issue #12 item 7): the
//! seed's 不具合発生報告書 (参考3) on page one for each report, then the
//! summary, the timeline, the 対策会議, the PPC deadlines met or missed and
//! the notices, the 再発防止策, and the evidence with its SHA-256. Both files
//! are in Japanese and their download is recorded in the audit trail.

use axum::extract::State;
use axum::response::Response;
use mamori_docs::{DocumentBlock, DocumentPrint, SheetPrint};
use mamori_domain::calendar::format_date_ja;
use mamori_domain::incident::notice::{Met, Recipient, met};
use mamori_domain::incident::report::{Measure, PATTERNS};
use mamori_domain::incident::status::EntryKind;
use mamori_domain::institution::permissions;
use mamori_store::incident::Incident;

use super::{IncidentPath, entry_view, notices_made, playbooks, task_view, when};
use crate::auth::Authorized;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// One table of the record: a heading (the sheet's name), its header and rows.
struct Section {
    title: String,
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The 参考3 form of each report, as (label, value) rows.
fn report_forms(chrome: &Chrome, incident: &Incident) -> Vec<Section> {
    incident
        .reports
        .iter()
        .enumerate()
        .map(|(index, stored)| {
            let r = &stored.report;
            let ticked = |yes: bool| if yes { "☑" } else { "☐" };
            let patterns = PATTERNS
                .iter()
                .enumerate()
                .map(|(n, (ja, _))| {
                    let number = u8::try_from(n + 1).unwrap_or(u8::MAX);
                    format!("{} {}. {ja}", ticked(r.patterns.contains(&number)), n + 1)
                })
                .collect::<Vec<_>>()
                .join("\n");
            let measures = Measure::ALL
                .iter()
                .map(|m| {
                    let at = r
                        .measures
                        .iter()
                        .find(|(done, _)| done == m)
                        .map(|(_, at)| at.strftime("%H:%M").to_string());
                    format!(
                        "{} {}{}",
                        ticked(at.is_some()),
                        m.name_ja(),
                        at.map(|t| format!("（{t}）")).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let noticed = match r.noticed_at {
                Some(time) => format!("{} {}", chrome.date(&r.noticed_on), time.strftime("%H:%M")),
                None => chrome.date(&r.noticed_on),
            };
            let rows = vec![
                vec!["事象発生確認年月日".into(), noticed],
                vec!["場所".into(), r.place.clone()],
                vec![
                    "機器管理番号・機器名称".into(),
                    format!(
                        "{} {}",
                        r.asset_number.clone().unwrap_or_default(),
                        r.device_name
                    )
                    .trim()
                    .to_owned(),
                ],
                vec![
                    "発生ネットワーク".into(),
                    r.segment.clone().unwrap_or_default(),
                ],
                vec![
                    "報告者（課・氏名）".into(),
                    format!("{} {}", r.department, r.reporter).trim().to_owned(),
                ],
                vec!["発生事例パターン".into(), patterns],
                vec!["その他".into(), r.other.clone()],
                vec!["発生事象の詳細".into(), r.details.clone()],
                vec!["緊急措置".into(), measures],
                vec![
                    "受付".into(),
                    format!(
                        "{}{}",
                        when(chrome, stored.submitted_at),
                        if stored.anonymous {
                            "（報告用ポスターのリンク・アカウントなし）"
                        } else {
                            ""
                        }
                    ),
                ],
            ];
            Section {
                title: format!("不具合発生報告書（{}）", index + 1),
                head: strings(&["項目", "内容"]),
                rows,
            }
        })
        .collect()
}

/// The record after the forms.
fn sections(
    chrome: &Chrome,
    incident: &Incident,
    today: jiff::civil::Date,
) -> Result<Vec<Section>, AppError> {
    let s = &incident.summary;
    let playbooks = playbooks()?;
    let mut out = vec![Section {
        title: "インシデントの概要".into(),
        head: strings(&["項目", "内容"]),
        rows: vec![
            vec!["番号".into(), format!("#{}", s.id)],
            vec!["件名".into(), s.title.clone()],
            vec!["状況".into(), s.status.name_ja().into()],
            vec!["重大度".into(), s.severity.name_ja().into()],
            vec![
                "訓練".into(),
                if s.drill { "訓練" } else { "実際の事象" }.into(),
            ],
            vec!["認知した日".into(), chrome.date(&s.known_on)],
            vec!["最初の報告".into(), when(chrome, s.opened_at)],
            vec!["担当者".into(), s.lead.clone().unwrap_or_default()],
        ],
    }];
    out.push(Section {
        title: "経過".into(),
        head: strings(&["日時", "記録者", "種類", "内容"]),
        rows: incident
            .entries
            .iter()
            .map(|entry| {
                let view = entry_view(chrome, playbooks, entry);
                vec![view.at, view.who, view.what, view.text]
            })
            .collect(),
    });
    let mut meetings = Vec::new();
    for entry in incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Meeting)
    {
        if let Some(m) = &entry.meeting {
            let at = format!(
                "{} {}",
                chrome.date(&m.convened_at.date()),
                m.convened_at.strftime("%H:%M")
            );
            for (question, answer) in [
                ("出席者", &m.attendees),
                ("診療継続の可否", &m.care),
                ("データ復旧の可否", &m.recovery),
                ("情報漏洩の可能性", &m.leak),
                ("被害拡大防止策", &m.containment),
                ("職員への周知", &m.told_staff),
                ("患者への説明", &m.told_patients),
            ] {
                meetings.push(vec![at.clone(), question.to_owned(), answer.clone()]);
            }
        }
    }
    out.push(Section {
        title: "対策会議".into(),
        head: strings(&["開催", "項目", "決定・内容"]),
        rows: meetings,
    });
    // The PPC deadlines, met or missed, and every notice outside.
    let made = notices_made(incident);
    let mut deadlines = Vec::new();
    if let Some(d) = s.assessment.and_then(|a| a.deadlines(s.known_on)) {
        let first = |to: Recipient| {
            made.iter()
                .filter(|(r, _, _)| *r == to)
                .map(|(_, d, _)| *d)
                .min()
        };
        let results = met(
            &d,
            first(Recipient::PpcPreliminary),
            first(Recipient::PpcFinal),
        );
        for ((label, by), result) in [
            ("個人情報保護委員会 速報（目安）", d.preliminary_by),
            ("個人情報保護委員会 確報（期限）", d.final_by),
        ]
        .into_iter()
        .zip(results)
        {
            let state = match result {
                Some(Met::OnTime(day)) => format!("{} 提出（期限内）", format_date_ja(day)),
                Some(Met::Late(day)) => format!("{} 提出（期限後）", format_date_ja(day)),
                None if by < today => "未提出（期限超過）".to_owned(),
                None => "未提出".to_owned(),
            };
            deadlines.push(vec![label.to_owned(), chrome.date(&by), state]);
        }
    }
    for (to, day, note) in &made {
        deadlines.push(vec![
            to.name_ja().to_owned(),
            chrome.date(day),
            (*note).to_owned(),
        ]);
    }
    out.push(Section {
        title: "期限と外部への連絡".into(),
        head: strings(&["期限・連絡先", "日", "状況・内容"]),
        rows: deadlines,
    });
    out.push(Section {
        title: "再発防止策".into(),
        head: strings(&["対策", "担当者", "期限", "状況"]),
        rows: incident
            .tasks
            .iter()
            .map(|task| {
                let view = task_view(chrome, task, today);
                vec![
                    view.title,
                    view.owner,
                    view.due,
                    view.done.unwrap_or_else(|| "未完了".to_owned()),
                ]
            })
            .collect(),
    });
    out.push(Section {
        title: "証拠（ファイル）".into(),
        head: strings(&["ファイル名", "SHA-256", "大きさ（バイト）", "追加"]),
        rows: incident
            .files
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    f.sha256.clone(),
                    f.size.to_string(),
                    when(chrome, f.added_at),
                ]
            })
            .collect(),
    });
    Ok(out)
}

async fn gather(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewIncidents>,
    id: mamori_domain::incident::report::IncidentId,
    format: &'static str,
) -> Result<(String, Vec<Section>, Vec<Section>), AppError> {
    let incident = mamori_store::incident::get(&state.store, &authorized.grant, id).await?;
    let institution = mamori_store::institution::get(&state.store, &authorized.grant)
        .await?
        .details
        .name()
        .to_owned();
    let today = state.clock.today();
    let forms = report_forms(chrome, &incident);
    let rest = sections(chrome, &incident, today)?;
    mamori_store::incident::record_export(
        &state.store,
        &authorized.grant,
        id,
        format,
        state.clock.now(),
    )
    .await?;
    Ok((institution, forms, rest))
}

/// `GET /incidents/{id}/report.pdf`.
pub(super) async fn pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    IncidentPath(id): IncidentPath,
    authorized: Authorized<permissions::ViewIncidents>,
) -> Result<Response, AppError> {
    let chrome = chrome.in_japanese();
    let (institution_name, forms, rest) = gather(&state, &chrome, &authorized, id, "pdf").await?;
    let mut blocks = Vec::new();
    for form in forms {
        blocks.push(DocumentBlock::Heading { text: form.title });
        blocks.push(DocumentBlock::Table {
            head: form.head,
            rows: form.rows,
        });
        blocks.push(DocumentBlock::PageBreak);
    }
    for section in rest {
        blocks.push(DocumentBlock::Subheading {
            text: section.title,
        });
        if section.rows.is_empty() {
            blocks.push(DocumentBlock::Paragraph {
                text: "（記録なし）".into(),
            });
        } else {
            blocks.push(DocumentBlock::Table {
                head: section.head,
                rows: section.rows,
            });
        }
    }
    let print = DocumentPrint {
        title: format!("インシデント記録 #{id}"),
        institution_name,
        version: format!("{} 出力", chrome.date(&state.clock.today())),
        blocks,
    };
    super::send_file(
        &state,
        chrome.locale,
        (
            &format!("incident-{id}"),
            &format!("インシデント記録_{id}"),
            "pdf",
            "application/pdf",
        ),
        move || mamori_docs::document_pdf(&print),
    )
    .await
}

/// `GET /incidents/{id}/export.xlsx`: a sheet per part of the record.
pub(super) async fn xlsx(
    State(state): State<AppState>,
    chrome: Chrome,
    IncidentPath(id): IncidentPath,
    authorized: Authorized<permissions::ViewIncidents>,
) -> Result<Response, AppError> {
    let chrome = chrome.in_japanese();
    let (_, forms, rest) = gather(&state, &chrome, &authorized, id, "xlsx").await?;
    let sheets: Vec<SheetPrint> = forms
        .into_iter()
        .chain(rest)
        .map(|section| SheetPrint {
            // Excel's sheet names: at most 31 characters, none of []:*?/\.
            name: section
                .title
                .chars()
                .filter(|c| !"[]:*?/\\".contains(*c))
                .take(31)
                .collect(),
            header: section.head,
            rows: section.rows,
        })
        .collect();
    super::send_file(
        &state,
        chrome.locale,
        (
            &format!("incident-{id}"),
            &format!("インシデント記録_{id}"),
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        move || mamori_docs::sheets_xlsx(&sheets),
    )
    .await
}
