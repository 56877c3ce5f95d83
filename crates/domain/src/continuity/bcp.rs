//! The BCP for a cyber-attack (サイバー攻撃等を想定した事業継続計画, 別紙3),
//! written from the institution's own data: who holds each role, the
//! systems and their vendors, the network, the backup register and the
//! authorities to call; and, where the outline leaves ○○, what the
//! institution writes itself (the 対策会議's members, the police desk, the
//! paper-based fallbacks, the order of recovery, the disaster note).

use jiff::civil::Date;

use crate::ParseError;
use crate::calendar::format_date_ja;
use crate::document::Document;
use crate::error::multiline_text;

/// The longest answer the form accepts.
pub const MAX_ANSWER: usize = 2000;

/// What the institution writes into its BCP (the ○○ of 別紙3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BcpAnswers {
    /// 対策会議の構成員 (3(1): 院長など経営管理層、企画管理者、各部門の長).
    pub meeting_members: String,
    /// 都道府県警のサイバー犯罪相談窓口: phone, e-mail (3(3)).
    pub police_desk: String,
    /// 紙カルテでの診療: how care continues without the EHR.
    pub paper_records: String,
    /// 保険証・資格確認の目視確認.
    pub insurance_check: String,
    /// 受付・会計をレセコンなしで行う方法.
    pub reception_billing: String,
    /// 職員への周知と患者への広報の方法 (3(4)).
    pub announcements: String,
    /// 復旧の優先順位 (4(1)).
    pub restore_priority: String,
    /// 災害への備え (※: 地震・水害・落雷・火災・停電).
    pub disaster: String,
}

/// The answers' fields: form name and the Japanese label the document and
/// the warnings use, in the order of the form.
pub const ANSWER_FIELDS: [(&str, &str); 8] = [
    ("meeting_members", "対策会議の構成員"),
    ("police_desk", "都道府県警のサイバー犯罪相談窓口"),
    ("paper_records", "紙カルテでの診療"),
    ("insurance_check", "保険証・資格確認の目視確認"),
    ("reception_billing", "レセコンを使わない受付・会計"),
    ("announcements", "職員への周知と患者への広報"),
    ("restore_priority", "復旧の優先順位"),
    ("disaster", "災害への備え"),
];

impl BcpAnswers {
    /// The answer for form field `name`.
    pub fn get(&self, name: &str) -> &str {
        match name {
            "meeting_members" => &self.meeting_members,
            "police_desk" => &self.police_desk,
            "paper_records" => &self.paper_records,
            "insurance_check" => &self.insurance_check,
            "reception_billing" => &self.reception_billing,
            "announcements" => &self.announcements,
            "restore_priority" => &self.restore_priority,
            "disaster" => &self.disaster,
            _ => "",
        }
    }

    /// The Japanese labels of the answers still empty, in form order.
    pub fn missing(&self) -> Vec<&'static str> {
        ANSWER_FIELDS
            .iter()
            .filter(|(name, _)| self.get(name).is_empty())
            .map(|(_, label)| *label)
            .collect()
    }
}

/// Checks the answers, reporting every wrong field at once; each may be
/// empty (the document then says it is still to be written).
pub fn parse_bcp_answers(get: impl Fn(&str) -> String) -> Result<BcpAnswers, Vec<ParseError>> {
    let mut errors = Vec::new();
    let mut take = |field: &'static str| {
        multiline_text(field, &get(field), MAX_ANSWER)
            .map_err(|error| errors.push(error))
            .unwrap_or_default()
    };
    let answers = BcpAnswers {
        meeting_members: take("meeting_members"),
        police_desk: take("police_desk"),
        paper_records: take("paper_records"),
        insurance_check: take("insurance_check"),
        reception_billing: take("reception_billing"),
        announcements: take("announcements"),
        restore_priority: take("restore_priority"),
        disaster: take("disaster"),
    };
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

/// A system of the device ledger, as the BCP lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLine {
    pub asset_number: String,
    pub kind: String,
    pub maker_model: String,
    pub location: String,
    pub remote_vendor: String,
}

/// A vendor, as the contact table lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorLine {
    pub name: String,
    pub systems: String,
    pub contact: String,
}

/// A line of the backup register, as the BCP lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupLine {
    pub system: String,
    pub how: String,
    pub generations: u16,
    pub offline: String,
    pub location: String,
    pub last_test: String,
}

/// What mamori knows of the institution, gathered by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BcpFacts {
    pub institution_name: String,
    pub institution_kind: String,
    pub prefecture: String,
    pub address: String,
    pub phone: String,
    /// (role, the people holding it), in the policy's order.
    pub roles: Vec<(String, String)>,
    pub systems: Vec<SystemLine>,
    pub vendors: Vec<VendorLine>,
    /// The network's segments by name.
    pub segments: Vec<String>,
    /// When the network diagram was last reviewed.
    pub diagram_reviewed: Option<Date>,
    pub backups: Vec<BackupLine>,
}

/// The outside bodies of 別紙3 3(3), as the seed gives them.
pub const AUTHORITIES: [(&str, &str, &str); 3] = [
    (
        "厚生労働省",
        "医政局特定医薬品開発支援・医療情報担当参事官室",
        "TEL 03-6812-7837　MAIL igishitsu@mhlw.go.jp",
    ),
    (
        "個人情報保護委員会",
        "個人情報保護法第26条に基づく報告の場合",
        "https://www.ppc.go.jp/personalinfo/legal/leakAction/",
    ),
    (
        "独立行政法人情報処理推進機構（IPA）（事後報告）",
        "コンピュータ不正アクセス届出制度・コンピュータウイルス届出制度・ソフトウェア等の脆弱性関連情報に関する届出制度",
        "https://www.ipa.go.jp/security/todokede/crack-virus/about.html　https://www.ipa.go.jp/security/vuln/report/index.html",
    ),
];

/// The national police page listing each prefecture's cyber-crime desk.
pub const POLICE_DESKS_PAGE: &str = "https://www.npa.go.jp/bureau/cyber/soudan.html";

/// What an unwritten answer reads as in the document.
const NOT_WRITTEN: &str = "（未記入：mamori の「BCP」画面で記入してください）";

fn answer_or_gap(document: &mut Document, text: &str) {
    if text.is_empty() {
        document.paragraphs(NOT_WRITTEN);
    } else {
        document.paragraphs(text);
    }
}

fn or_none(text: &str) -> String {
    if text.is_empty() {
        "（未登録）".to_owned()
    } else {
        text.to_owned()
    }
}

/// The BCP as a document, from the institution's data and answers.
pub fn compose(facts: &BcpFacts, answers: &BcpAnswers) -> Document {
    let mut d = Document::new("サイバー攻撃等を想定した事業継続計画（BCP）");
    d.paragraphs(format!(
        "{}（{}、{}）は、サイバー攻撃を受けるなど医療情報システムに重大な障害が起きたときも診療を続け、速やかに復旧するため、この計画を定める。",
        facts.institution_name, facts.institution_kind, facts.prefecture
    ));
    d.paragraphs(format!(
        "所在地：{}　電話：{}",
        or_none(&facts.address),
        or_none(&facts.phone)
    ));

    d.heading("体制");
    d.table(
        &["役割", "担当者"],
        facts
            .roles
            .iter()
            .map(|(role, people)| vec![role.clone(), or_none(people)])
            .collect(),
    );

    d.heading("1. サイバー攻撃に対する予防の徹底");
    d.item("医療情報システム安全管理方針及びネットワーク構成図を作成し、経営層及び医療情報を取り扱う職員に周知する。");
    d.paragraphs(format!(
        "ネットワーク構成図：セグメント {} 件（{}）。最終見直し：{}。",
        facts.segments.len(),
        if facts.segments.is_empty() {
            "未登録".to_owned()
        } else {
            facts.segments.join("、")
        },
        facts
            .diagram_reviewed
            .map(format_date_ja)
            .unwrap_or_else(|| "記録なし".to_owned())
    ));
    d.subheading("医療情報を保存するシステム（使用機器一覧表より）");
    if facts.systems.is_empty() {
        d.paragraphs("（使用機器一覧表にサーバ・医療機器の登録がありません）");
    } else {
        d.table(
            &[
                "管理番号",
                "種別",
                "メーカー・型番",
                "設置場所",
                "リモート保守",
            ],
            facts
                .systems
                .iter()
                .map(|s| {
                    vec![
                        s.asset_number.clone(),
                        s.kind.clone(),
                        s.maker_model.clone(),
                        s.location.clone(),
                        s.remote_vendor.clone(),
                    ]
                })
                .collect(),
        );
    }
    d.item("重要なファイルは適宜バックアップをとり、不正ソフトウェアの影響が及ばない方法（ネットワークから切り離した複製）で管理する。");
    d.subheading("バックアップ（バックアップ台帳より）");
    if facts.backups.is_empty() {
        d.paragraphs("（バックアップ台帳に登録がありません）");
    } else {
        d.table(
            &[
                "対象システム",
                "方法・頻度",
                "世代",
                "オフライン複製",
                "保管場所",
                "直近の復旧テスト",
            ],
            facts
                .backups
                .iter()
                .map(|b| {
                    vec![
                        b.system.clone(),
                        b.how.clone(),
                        b.generations.to_string(),
                        b.offline.clone(),
                        b.location.clone(),
                        b.last_test.clone(),
                    ]
                })
                .collect(),
        );
    }

    d.heading("2. サイバー攻撃の疑いを把握した場合");
    for step in [
        "① 発生した事象（画面など）を写真に撮る。",
        "② 原因が電源やケーブルなど物理的な問題でないことを確かめる。",
        "③ 企画管理者に報告する。不正ソフトウェアの兆候（ホームページの改ざん、患者情報の暗号化、データの紛失・消去など）があれば、安全管理責任者の指示で当該端末・機器のLANケーブルを抜く・Wi-Fiを切るなどしてネットワークから物理的に切り離す。証拠保全のため電源は切らない（ログが消えることがある）。",
        "④ 同じような事象が他で起きていないか確かめる。",
        "⑤ 不具合発生報告書を記入し、企画管理者に状況を報告する。",
    ] {
        d.item(step);
    }

    d.heading("3. サイバー攻撃があった場合（強く疑う場合を含む）");
    d.subheading("(1) 対策会議の招集と被害の確認");
    d.paragraphs("企画管理者は医療情報に関する業務システムを停止し、対策会議を招集して、他の情報機器と診療への影響を調べる（攻撃の内容と範囲の特定：発生日時・場所・ネットワーク・事象・原因と考えられる操作、証拠保全：写真・ログ、当該機器のネットワークからの物理的遮断）。");
    d.paragraphs("対策会議の構成員：");
    answer_or_gap(&mut d, &answers.meeting_members);
    d.subheading("(2) 外部委託業者への連絡と検討事項");
    d.paragraphs("対策会議は外部委託業者に連絡し、次を検討する：① 診療継続の可否（そのための条件整備）、② データ復旧の可否、③ 情報漏洩の可能性、④ 被害拡大防止策（ネットワーク遮断の確認、オフラインのバックアップデータの確認、ネットワークや電子カルテの利用停止の判断）。");
    if facts.vendors.is_empty() {
        d.paragraphs("（mamori に事業者の登録がありません）");
    } else {
        d.table(
            &["外部委託業者", "担当するシステム", "連絡先"],
            facts
                .vendors
                .iter()
                .map(|v| vec![v.name.clone(), v.systems.clone(), or_none(&v.contact)])
                .collect(),
        );
    }
    d.subheading("(3) 関係機関への連絡・相談");
    let mut rows: Vec<Vec<String>> = AUTHORITIES[..2]
        .iter()
        .map(|(body, desk, contact)| {
            vec![
                (*body).to_owned(),
                (*desk).to_owned(),
                (*contact).to_owned(),
            ]
        })
        .collect();
    rows.push(vec![
        "警察".to_owned(),
        format!("{}警察のサイバー犯罪相談窓口", facts.prefecture),
        if answers.police_desk.is_empty() {
            format!("未記入（{POLICE_DESKS_PAGE} で確認して記入）")
        } else {
            answers.police_desk.clone()
        },
    ]);
    let (body, desk, contact) = AUTHORITIES[2];
    rows.push(vec![body.to_owned(), desk.to_owned(), contact.to_owned()]);
    d.table(&["連絡先", "窓口", "電話・メール・届出先"], rows);
    d.subheading("(4) 職員への周知と患者への広報");
    d.paragraphs("対策会議は被害拡大を防ぐ措置をとり、① 攻撃の内容と範囲、② 外部業者・厚生労働省・警察と連絡をとりながら対処していること、③ 診療継続の可否（診療制限を含む）を職員に周知し、患者に広報する。");
    answer_or_gap(&mut d, &answers.announcements);

    d.heading("診療を続けるための紙運用");
    d.subheading("紙カルテでの診療");
    answer_or_gap(&mut d, &answers.paper_records);
    d.subheading("保険証・資格確認の目視確認");
    answer_or_gap(&mut d, &answers.insurance_check);
    d.subheading("レセコンを使わない受付・会計");
    answer_or_gap(&mut d, &answers.reception_billing);

    d.heading("4. サイバー攻撃からの復旧");
    d.paragraphs("(1) 対策会議は外部業者の協力を得て復旧体制と対策の優先順位を整理する。攻撃を受けた機器と論理的・物理的に接続されていない機器が影響を受けていないことを確かめてから、バックアップから重要なファイルの復元を試みる。");
    d.paragraphs("復旧の優先順位：");
    answer_or_gap(&mut d, &answers.restore_priority);
    d.paragraphs("(2) 対策会議は再発防止策（体制の脆弱性と運用手順、セキュリティ対策の見直し、教育・訓練）を検討し、実行する。");

    d.heading("災害への備え");
    d.paragraphs("医療情報及び医療情報システムは、地震・水害・落雷・火災とそれに伴う停電などの災害による障害に対策を講じた場所に設置する。");
    answer_or_gap(&mut d, &answers.disaster);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Line;

    fn facts() -> BcpFacts {
        BcpFacts {
            institution_name: "守クリニック".into(),
            institution_kind: "無床診療所".into(),
            prefecture: "徳島県".into(),
            address: "徳島市1-1".into(),
            phone: "088-123-4567".into(),
            roles: vec![("企画管理者".into(), "山田 花子".into())],
            systems: vec![SystemLine {
                asset_number: "SV-001".into(),
                kind: "サーバ".into(),
                maker_model: "X".into(),
                location: "院長室".into(),
                remote_vendor: "〇〇メディカル".into(),
            }],
            vendors: vec![VendorLine {
                name: "〇〇メディカル".into(),
                systems: "電子カルテ".into(),
                contact: "088-000-0000".into(),
            }],
            segments: vec!["電子カルテLAN".into()],
            diagram_reviewed: None,
            backups: Vec::new(),
        }
    }

    #[test]
    fn the_bcp_is_written_from_the_data_and_says_what_is_still_to_write() {
        let answers = BcpAnswers {
            police_desk: "088-622-3101".into(),
            paper_records:
                "紙カルテ（様式は受付の棚）で診療を続ける。\n後日、電子カルテに入力する。".into(),
            ..BcpAnswers::default()
        };
        let text = compose(&facts(), &answers).to_text();
        for expected in [
            "守クリニック（無床診療所、徳島県）",
            "TR\t企画管理者\t山田 花子",
            "TR\tSV-001\tサーバ",
            "TR\t〇〇メディカル\t電子カルテ\t088-000-0000",
            "TR\t警察\t徳島県警察のサイバー犯罪相談窓口\t088-622-3101",
            "03-6812-7837",
            "P\t後日、電子カルテに入力する。",
            "（バックアップ台帳に登録がありません）",
            "電源は切らない",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
        assert!(text.contains(NOT_WRITTEN), "unwritten answers say so");
        assert!(
            !text.contains("○○"),
            "no placeholder of the outline is left"
        );
        assert_eq!(
            answers.missing(),
            vec![
                "対策会議の構成員",
                "保険証・資格確認の目視確認",
                "レセコンを使わない受付・会計",
                "職員への周知と患者への広報",
                "復旧の優先順位",
                "災害への備え"
            ]
        );
        let headings = compose(&facts(), &answers)
            .lines
            .iter()
            .filter(|line| matches!(line, Line::Heading(_)))
            .count();
        assert_eq!(headings, 7);
    }

    #[test]
    fn answers_refuse_control_characters_and_overlong_text_naming_each_field() {
        let errors = parse_bcp_answers(|field| match field {
            "police_desk" => "a\u{202E}b".to_owned(),
            "disaster" => "x".repeat(MAX_ANSWER + 1),
            _ => "ok\r\nnext".to_owned(),
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["police_desk", "disaster"]);
        let answers = parse_bcp_answers(|_| " 一行目\r\n二行目 ".to_owned()).unwrap();
        assert_eq!(answers.paper_records, "一行目\n二行目");
    }
}
