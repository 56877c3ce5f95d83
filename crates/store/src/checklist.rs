//! Checklist assessments: one per institution, form and 年度, with an answer
//! row per item (keyed by the catalog's topic key) and evidence. Every change
//! is appended to the audit trail in the same transaction, with the values
//! before and after.

use std::collections::HashMap;

use jiff::civil;
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{Answer, DatedAnswer, FormKind, ItemRecord};
use mamori_domain::institution::{Grant, UserId, permissions};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// An assessment with its answers.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Its id.
    pub id: i64,
    /// Which form.
    pub form: FormKind,
    /// Which 年度.
    pub fiscal_year: FiscalYear,
    /// The catalog version it was started with (e.g. `R7`).
    pub catalog_version: String,
    /// The 医療情報システムの有無 answer, with the date it was checked.
    pub system_in_use: Option<(bool, civil::Date)>,
    /// Answers by item key.
    pub answers: HashMap<String, StoredAnswer>,
}

/// One item's answer and who gave it.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    /// The answer.
    pub record: ItemRecord,
    /// Who last changed it.
    pub answered_by: Option<String>,
    /// When.
    pub updated_at: jiff::Timestamp,
}

/// A piece of evidence: an uploaded file or a link to a page of mamori.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Its id.
    pub id: i64,
    /// The item it supports.
    pub item_key: String,
    /// What it is, as the user named it (or the file name).
    pub label: String,
    /// For files: name, type, size and SHA-256 (hex).
    pub file: Option<EvidenceFile>,
    /// For links: a path inside mamori.
    pub link_path: Option<String>,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: jiff::Timestamp,
}

/// The stored facts of an uploaded file.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    /// The name it was uploaded with.
    pub name: String,
    /// Its media type, as checked on upload.
    pub content_type: String,
    /// Its size.
    pub size_bytes: i64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// A new piece of evidence.
#[derive(Debug, Clone)]
pub enum NewEvidence {
    /// An uploaded file, already checked for type and size.
    File {
        /// Its name.
        name: String,
        /// Its media type.
        content_type: String,
        /// Its bytes.
        content: Vec<u8>,
        /// Its SHA-256, hex.
        sha256: String,
    },
    /// A link to a page of mamori.
    Link {
        /// The path (starts with `/`).
        path: String,
        /// What it shows.
        label: String,
    },
}

fn date_text(date: civil::Date) -> String {
    date.to_string()
}

fn parse_stored_date(raw: Option<String>) -> Result<Option<civil::Date>, Error> {
    raw.map(|text| {
        text.parse::<civil::Date>()
            .map_err(|_| Error::Corrupt("checklist date"))
    })
    .transpose()
}

fn dated(answer: Option<String>, date: Option<String>) -> Result<Option<DatedAnswer>, Error> {
    match (answer, parse_stored_date(date)?) {
        (Some(code), Some(date)) => Ok(Some(DatedAnswer {
            answer: Answer::from_code(&code).ok_or(Error::Corrupt("checklist answer"))?,
            date,
        })),
        (None, None) => Ok(None),
        _ => Err(Error::Corrupt("checklist answer")),
    }
}

fn record_json(record: &ItemRecord) -> Value {
    let side = |dated: Option<DatedAnswer>| {
        dated.map(|d| json!({ "answer": d.answer.code(), "date": date_text(d.date) }))
    };
    json!({
        "first": side(record.first),
        "target": record.target.map(date_text),
        "second": side(record.second),
        "checked_on": record.checked_on.map(date_text),
        "remarks": record.remarks,
        "not_applicable": record.not_applicable,
        "needs_recheck": record.needs_recheck,
    })
}

async fn load_answers(
    connection: &mut AnyConnection,
    assessment_id: i64,
) -> Result<HashMap<String, StoredAnswer>, Error> {
    let rows = sqlx::query(
        "SELECT a.item_key, a.first_answer, a.first_date, a.target_date, a.second_answer, a.second_date,
                a.remarks, a.not_applicable_reason, a.needs_recheck, u.display_name, a.updated_at,
                a.checked_on
         FROM checklist_answers a LEFT JOIN users u ON u.id = a.answered_by
         WHERE a.assessment_id = $1",
    )
    .bind(assessment_id)
    .fetch_all(&mut *connection)
    .await?;
    let mut answers = HashMap::with_capacity(rows.len());
    for row in rows {
        let record = ItemRecord {
            first: dated(row.try_get(1)?, row.try_get(2)?)?,
            target: parse_stored_date(row.try_get(3)?)?,
            second: dated(row.try_get(4)?, row.try_get(5)?)?,
            checked_on: parse_stored_date(row.try_get(11)?)?,
            remarks: row.try_get(6)?,
            not_applicable: row.try_get(7)?,
            needs_recheck: row.try_get::<i64, _>(8)? != 0,
        };
        answers.insert(
            row.try_get(0)?,
            StoredAnswer {
                record,
                answered_by: row.try_get(9)?,
                updated_at: from_micros(row.try_get(10)?),
            },
        );
    }
    Ok(answers)
}

async fn load_assessment(
    connection: &mut AnyConnection,
    institution_id: i64,
    form: FormKind,
    year: FiscalYear,
) -> Result<Option<Assessment>, Error> {
    let Some(row) = sqlx::query(
        "SELECT id, catalog_version, system_in_use, system_checked_on FROM checklist_assessments
         WHERE institution_id = $1 AND form = $2 AND fiscal_year = $3",
    )
    .bind(institution_id)
    .bind(form.code())
    .bind(i64::from(year.start_year()))
    .fetch_optional(&mut *connection)
    .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.try_get(0)?;
    let in_use: Option<i64> = row.try_get(2)?;
    let checked_on = parse_stored_date(row.try_get(3)?)?;
    let system_in_use = match (in_use, checked_on) {
        (Some(flag), Some(date)) => Some((flag != 0, date)),
        _ => None,
    };
    Ok(Some(Assessment {
        id,
        form,
        fiscal_year: year,
        catalog_version: row.try_get(1)?,
        system_in_use,
        answers: load_answers(connection, id).await?,
    }))
}

/// The assessment of `form` for `year`, if it was started.
pub async fn assessment<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    form: FormKind,
    year: FiscalYear,
) -> Result<Option<Assessment>, Error> {
    let mut connection = store.pool().acquire().await?;
    load_assessment(&mut connection, grant.institution_id().get(), form, year).await
}

/// The 年度 for which an assessment of `form` exists, newest first.
pub async fn years<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    form: FormKind,
) -> Result<Vec<FiscalYear>, Error> {
    let years: Vec<i64> = sqlx::query_scalar(
        "SELECT fiscal_year FROM checklist_assessments WHERE institution_id = $1 AND form = $2 ORDER BY fiscal_year DESC",
    )
    .bind(grant.institution_id().get())
    .bind(form.code())
    .fetch_all(store.pool())
    .await?;
    years
        .into_iter()
        .map(|year| {
            i16::try_from(year)
                .ok()
                .and_then(|year| FiscalYear::new(year).ok())
                .ok_or(Error::Corrupt("checklist fiscal year"))
        })
        .collect()
}

/// Starts the assessment of `form` for `year` with catalog `version`. When an
/// earlier 年度 was assessed, its answers carry over, each marked 要再確認
/// (items are matched by topic key; `keys` lists the new catalog's keys).
/// Starting one that exists is a [`Error::Conflict`].
pub async fn start(
    store: &Store,
    grant: &Grant<permissions::EditChecklist>,
    form: FormKind,
    year: FiscalYear,
    version: &str,
    keys: &[&str],
    now: jiff::Timestamp,
) -> Result<Assessment, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let previous_year: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(fiscal_year) FROM checklist_assessments WHERE institution_id = $1 AND form = $2 AND fiscal_year < $3",
    )
    .bind(institution_id)
    .bind(form.code())
    .bind(i64::from(year.start_year()))
    .fetch_one(&mut *transaction)
    .await?;
    let previous = match previous_year
        .and_then(|y| i16::try_from(y).ok())
        .and_then(|y| FiscalYear::new(y).ok())
    {
        Some(previous_year) => {
            load_assessment(&mut transaction, institution_id, form, previous_year).await?
        }
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO checklist_assessments (institution_id, form, fiscal_year, catalog_version, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(institution_id)
    .bind(form.code())
    .bind(i64::from(year.start_year()))
    .bind(version)
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("fiscal_year"))?;
    let mut carried = 0;
    if let Some(previous) = &previous {
        for key in keys {
            if let Some(answer) = previous.answers.get(*key) {
                write_answer(
                    &mut transaction,
                    id,
                    key,
                    &answer.record.carried_over(),
                    None,
                    now,
                )
                .await?;
                carried += 1;
            }
        }
    }
    let event = NewAuditEvent::by(
        grant,
        "checklist.start",
        format!("checklist:{id}"),
        json!({
            "form": form.code(), "fiscal_year": year.start_year(), "catalog_version": version,
            "carried_over_from": previous.as_ref().map(|p| p.fiscal_year.start_year()), "carried_over_items": carried,
        }),
    );
    audit_log::append(&mut transaction, &event, now).await?;
    let assessment = load_assessment(&mut transaction, institution_id, form, year)
        .await?
        .ok_or(Error::NotFound)?;
    transaction.commit().await?;
    Ok(assessment)
}

async fn write_answer(
    connection: &mut AnyConnection,
    assessment_id: i64,
    key: &str,
    record: &ItemRecord,
    answered_by: Option<UserId>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO checklist_answers (assessment_id, item_key, first_answer, first_date, target_date,
             second_answer, second_date, remarks, not_applicable_reason, needs_recheck, answered_by, updated_at,
             checked_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (assessment_id, item_key) DO UPDATE SET
             first_answer = excluded.first_answer, first_date = excluded.first_date,
             target_date = excluded.target_date, second_answer = excluded.second_answer,
             second_date = excluded.second_date, remarks = excluded.remarks,
             not_applicable_reason = excluded.not_applicable_reason, needs_recheck = excluded.needs_recheck,
             answered_by = excluded.answered_by, updated_at = excluded.updated_at,
             checked_on = excluded.checked_on",
    )
    .bind(assessment_id)
    .bind(key)
    .bind(record.first.map(|d| d.answer.code()))
    .bind(record.first.map(|d| date_text(d.date)))
    .bind(record.target.map(date_text))
    .bind(record.second.map(|d| d.answer.code()))
    .bind(record.second.map(|d| date_text(d.date)))
    .bind(record.remarks.as_str())
    .bind(record.not_applicable.as_deref())
    .bind(i64::from(record.needs_recheck))
    .bind(answered_by.map(|id| id.get()))
    .bind(to_micros(now))
    .bind(record.checked_on.map(date_text))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

async fn owned_assessment(
    connection: &mut AnyConnection,
    institution_id: i64,
    assessment_id: i64,
) -> Result<(), Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM checklist_assessments WHERE id = $1 AND institution_id = $2",
    )
    .bind(assessment_id)
    .bind(institution_id)
    .fetch_optional(&mut *connection)
    .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

/// Saves the answer to one item, with the values before and after in the audit trail.
pub async fn save_answer(
    store: &Store,
    grant: &Grant<permissions::EditChecklist>,
    assessment_id: i64,
    key: &str,
    record: &ItemRecord,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    owned_assessment(
        &mut transaction,
        grant.institution_id().get(),
        assessment_id,
    )
    .await?;
    let before = load_answers(&mut transaction, assessment_id)
        .await?
        .remove(key)
        .map(|a| record_json(&a.record));
    write_answer(
        &mut transaction,
        assessment_id,
        key,
        record,
        Some(grant.principal().user_id()),
        now,
    )
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "checklist.answer",
        format!("checklist:{assessment_id}/{key}"),
        json!({ "before": before, "after": record_json(record) }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Records the 医療情報システムの有無 answer.
pub async fn save_gate(
    store: &Store,
    grant: &Grant<permissions::EditChecklist>,
    assessment_id: i64,
    answer: Option<(bool, civil::Date)>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let institution_id = grant.institution_id().get();
    let before: Option<(Option<i64>, Option<String>)> = sqlx::query(
        "SELECT system_in_use, system_checked_on FROM checklist_assessments WHERE id = $1 AND institution_id = $2",
    )
    .bind(assessment_id)
    .bind(institution_id)
    .fetch_optional(&mut *transaction)
    .await?
    .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
    .transpose()?;
    let Some(before) = before else {
        return Err(Error::NotFound);
    };
    sqlx::query(
        "UPDATE checklist_assessments SET system_in_use = $1, system_checked_on = $2 WHERE id = $3",
    )
    .bind(answer.map(|(in_use, _)| i64::from(in_use)))
    .bind(answer.map(|(_, date)| date_text(date)))
    .bind(assessment_id)
    .execute(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "checklist.system_in_use",
        format!("checklist:{assessment_id}"),
        json!({
            "before": { "in_use": before.0.map(|v| v != 0), "date": before.1 },
            "after": { "in_use": answer.map(|a| a.0), "date": answer.map(|a| date_text(a.1)) },
        }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Adds evidence to an item.
pub async fn add_evidence(
    store: &Store,
    grant: &Grant<permissions::EditChecklist>,
    assessment_id: i64,
    key: &str,
    evidence: &NewEvidence,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let mut transaction = store.begin().await?;
    owned_assessment(
        &mut transaction,
        grant.institution_id().get(),
        assessment_id,
    )
    .await?;
    let (name, content_type, size, sha256, content, link, label, detail) = match evidence {
        NewEvidence::File {
            name,
            content_type,
            content,
            sha256,
        } => (
            Some(name.as_str()),
            Some(content_type.as_str()),
            Some(i64::try_from(content.len()).unwrap_or(i64::MAX)),
            Some(sha256.as_str()),
            Some(content.as_slice()),
            None,
            name.as_str(),
            json!({ "file": name, "content_type": content_type, "size": content.len(), "sha256": sha256 }),
        ),
        NewEvidence::Link { path, label } => (
            None,
            None,
            None,
            None,
            None,
            Some(path.as_str()),
            label.as_str(),
            json!({ "link": path, "label": label }),
        ),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO checklist_evidence (institution_id, assessment_id, item_key, file_name, content_type,
             size_bytes, sha256, content, link_path, label, added_by, added_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(assessment_id)
    .bind(key)
    .bind(name)
    .bind(content_type)
    .bind(size)
    .bind(sha256)
    .bind(content)
    .bind(link)
    .bind(label)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(grant, "checklist.evidence.add", format!("evidence:{id}"), {
        let mut detail = detail;
        detail["item"] = json!(format!("checklist:{assessment_id}/{key}"));
        detail
    });
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Removes evidence from its item. The row stays (marked removed), so the
/// file can still be produced for an investigation.
pub async fn remove_evidence(
    store: &Store,
    grant: &Grant<permissions::EditChecklist>,
    evidence_id: i64,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let result = sqlx::query(
        "UPDATE checklist_evidence SET removed_at = $1 WHERE id = $2 AND institution_id = $3 AND removed_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(evidence_id)
    .bind(grant.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    let event = NewAuditEvent::by(
        grant,
        "checklist.evidence.remove",
        format!("evidence:{evidence_id}"),
        json!({}),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The evidence of an assessment (not removed), oldest first.
pub async fn evidence<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    assessment_id: i64,
) -> Result<Vec<Evidence>, Error> {
    let rows = sqlx::query(
        "SELECT e.id, e.item_key, e.label, e.file_name, e.content_type, e.size_bytes, e.sha256, e.link_path,
                u.display_name, e.added_at
         FROM checklist_evidence e JOIN users u ON u.id = e.added_by
         WHERE e.assessment_id = $1 AND e.institution_id = $2 AND e.removed_at IS NULL ORDER BY e.id",
    )
    .bind(assessment_id)
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.into_iter()
        .map(|row| {
            let name: Option<String> = row.try_get(3)?;
            let file = match name {
                Some(name) => Some(EvidenceFile {
                    name,
                    content_type: row.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                    size_bytes: row.try_get::<Option<i64>, _>(5)?.unwrap_or_default(),
                    sha256: row.try_get::<Option<String>, _>(6)?.unwrap_or_default(),
                }),
                None => None,
            };
            Ok(Evidence {
                id: row.try_get(0)?,
                item_key: row.try_get(1)?,
                label: row.try_get(2)?,
                file,
                link_path: row.try_get(7)?,
                added_by: row.try_get(8)?,
                added_at: from_micros(row.try_get(9)?),
            })
        })
        .collect()
}

/// The bytes of an evidence file: (name, media type, content).
pub async fn evidence_file<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    evidence_id: i64,
) -> Result<(String, String, Vec<u8>), Error> {
    let row = sqlx::query(
        "SELECT file_name, content_type, content FROM checklist_evidence
         WHERE id = $1 AND institution_id = $2 AND content IS NOT NULL AND removed_at IS NULL",
    )
    .bind(evidence_id)
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}

/// Records that the assessment was printed or exported (`kind`: pdf, xlsx).
pub async fn record_export<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    assessment_id: i64,
    kind: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    owned_assessment(
        &mut transaction,
        grant.institution_id().get(),
        assessment_id,
    )
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "checklist.export",
        format!("checklist:{assessment_id}"),
        json!({ "format": kind }),
    );
    audit_log::commit_with(transaction, &event, now).await
}
