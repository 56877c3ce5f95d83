//! Reminders by e-mail (issue #15, item 6): once a day, each person with an
//! address gets one digest of their schedule — what is overdue and what comes
//! due within [`AHEAD_DAYS`] — or nothing when there is nothing.

use jiff::civil::Date;

use crate::calendar::format_date_ja;
use crate::schedule::Due;

/// How far ahead a digest looks.
pub const AHEAD_DAYS: i64 = 7;

/// One e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub subject: String,
    pub body: String,
}

/// The digest for `name` at `institution` on `today` from their schedule
/// (`lines` from `schedule::schedule` up to [`AHEAD_DAYS`] ahead), with links
/// under `base` (the server's public address, or empty); `None` when empty.
pub fn digest(
    institution: &str,
    name: &str,
    today: Date,
    lines: &[Due],
    base: &str,
) -> Option<Digest> {
    if lines.is_empty() {
        return None;
    }
    let overdue = lines.iter().filter(|l| l.overdue).count();
    let subject = if overdue > 0 {
        format!(
            "【mamori】期限切れ {overdue} 件・今後の予定 {} 件（{}）",
            lines.len() - overdue,
            format_date_ja(today)
        )
    } else {
        format!(
            "【mamori】今後の予定 {} 件（{}）",
            lines.len(),
            format_date_ja(today)
        )
    };
    let mut body = format!(
        "{name} 様\n\n{institution} の mamori から、{} 現在の期限と予定をお知らせします。\n\n",
        format_date_ja(today)
    );
    for line in lines {
        body.push_str(&format!(
            "{}{}　{}{}\n",
            if line.overdue {
                "【期限切れ】"
            } else {
                ""
            },
            format_date_ja(line.on),
            line.kind.name_ja(),
            if line.subject.is_empty() {
                String::new()
            } else {
                format!("（{}）", line.subject)
            }
        ));
        if !base.is_empty() {
            body.push_str(&format!("  {}{}\n", base.trim_end_matches('/'), line.href));
        }
    }
    body.push_str(
        "\nこのメールは1日に1通だけ送られます。予定の一覧は mamori の「予定」で見られます。\n",
    );
    Some(Digest { subject, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::DueKind;
    use jiff::civil::date;

    #[test]
    fn a_digest_names_what_is_overdue_first_and_nothing_is_no_mail() {
        let today = date(2026, 12, 3);
        assert_eq!(digest("まもり", "守 太郎", today, &[], ""), None);
        let lines = [
            Due {
                on: date(2026, 11, 30),
                kind: DueKind::CarryOut,
                subject: "PC-07".into(),
                href: "/carry-outs/9".into(),
                overdue: true,
            },
            Due {
                on: date(2026, 12, 5),
                kind: DueKind::RestoreTest,
                subject: String::new(),
                href: "/ledger/backups/1".into(),
                overdue: false,
            },
        ];
        let mail = digest(
            "まもり内科",
            "守 太郎",
            today,
            &lines,
            "https://mamori.example.jp/",
        )
        .expect("a digest");
        assert_eq!(
            mail.subject,
            "【mamori】期限切れ 1 件・今後の予定 1 件（2026年12月3日（令和8年12月3日））"
        );
        assert!(mail.body.starts_with("守 太郎 様"));
        assert!(mail.body.contains("【期限切れ】2026年11月30日"));
        assert!(mail.body.contains("https://mamori.example.jp/carry-outs/9"));
        assert!(mail.body.contains("復旧テスト"));
    }
}
