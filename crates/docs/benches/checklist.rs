//! Checklist printout benchmark: time to render the filled checklist (18
//! items, all answered) as a PDF and as an .xlsx, against the limit of
//! 300 ms for the PDF. Run: `cargo bench -p mamori-docs --bench checklist`

use std::time::{Duration, Instant};

use mamori_docs::{
    ChecklistPrint, PrintBlock, PrintColumn, PrintGate, PrintGroup, PrintRow, PrintSection,
    checklist_pdf, checklist_xlsx,
};

const RUNS: usize = 50;
const PDF_LIMIT: Duration = Duration::from_millis(300);

fn row(number: usize) -> PrintRow {
    PrintRow {
        number: format!("({number})"),
        text: "利用者の職種・担当業務別の情報区分毎のアクセス利用権限を設定している。".into(),
        cells: vec![
            "いいえ（令和8年5月1日）".into(),
            "令和9年3月31日".into(),
            "はい（令和8年11月20日）".into(),
            "令和8年11月25日".into(),
            "電子カルテの権限表を更新し、院長が確認した".into(),
        ],
    }
}

fn print() -> ChecklistPrint {
    let block = |heading: &str, n: usize| PrintBlock {
        heading: Some(heading.into()),
        rows: (1..=n).map(row).collect(),
    };
    ChecklistPrint {
        title: "医療機関におけるサイバーセキュリティ対策チェックリスト".into(),
        form_name: "医療機関確認用".into(),
        institution_name: "ベンチ総合病院".into(),
        fiscal_year: "2026年度（令和8年度）".into(),
        printed_on: "2026年11月25日（令和8年11月25日）".into(),
        columns: [
            ("1回目", true),
            ("目標日", true),
            ("2回目", true),
            ("確認日", false),
            ("備考", false),
        ]
        .into_iter()
        .map(|(heading, result)| PrintColumn {
            heading: heading.into(),
            result,
        })
        .collect(),
        gate: Some(PrintGate {
            text: "医療情報システムを導入、運用している。".into(),
            answer: "はい（令和8年5月1日）".into(),
            remarks: String::new(),
        }),
        sections: vec![PrintSection {
            heading: "○令和8年度中".into(),
            notes: vec!["※1回目の確認で「いいえ」の場合、目標日を記入してください。".into()],
            groups: vec![
                PrintGroup {
                    name: "1 体制構築".into(),
                    blocks: vec![PrintBlock {
                        heading: None,
                        rows: vec![row(1)],
                    }],
                },
                PrintGroup {
                    name: "2 医療情報システムの管理・運用".into(),
                    blocks: vec![
                        block("医療情報システム全般について、以下を実施している。", 3),
                        block("サーバについて、以下を実施している。", 5),
                        block("端末PCについて、以下を実施している。", 4),
                        block("ネットワーク機器について、以下を実施している。", 2),
                    ],
                },
                PrintGroup {
                    name: "3 インシデント発生に備えた対応".into(),
                    blocks: vec![PrintBlock {
                        heading: None,
                        rows: (1..=3).map(row).collect(),
                    }],
                },
            ],
        }],
        footer: vec!["様式：R7".into()],
    }
}

fn measure(name: &str, limit: Option<Duration>, mut render: impl FnMut() -> usize) {
    let first = Instant::now();
    let size = render();
    let cold = first.elapsed();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(render());
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[RUNS / 2];
    let p95 = times[RUNS * 95 / 100];
    let ratio = limit
        .map(|l| {
            format!(
                "{:.1} % of the {} ms limit",
                100.0 * median.as_secs_f64() / l.as_secs_f64(),
                l.as_millis()
            )
        })
        .unwrap_or_default();
    println!(
        "| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {} KB | {ratio} |",
        cold.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        size / 1024
    );
}

fn main() {
    let print = print();
    println!("| output | first render (cold) | median of {RUNS} | p95 | size | vs limit |");
    println!("|---|---|---|---|---|---|");
    measure("PDF (typst, IPAexGothic embedded)", Some(PDF_LIMIT), || {
        checklist_pdf(&print)
            .map(|b| b.len())
            .unwrap_or_else(|e| panic!("{e}"))
    });
    measure(".xlsx (rust_xlsxwriter)", None, || {
        checklist_xlsx(&print)
            .map(|b| b.len())
            .unwrap_or_else(|e| panic!("{e}"))
    });
}
