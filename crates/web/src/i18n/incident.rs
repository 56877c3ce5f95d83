//! The incident pages (report form, what to do now, the incident and its
//! timeline): every string in Japanese and English.

messages! {
    /// The incident pages' strings in one locale.
    IncidentText, JA, EN {
    nav_report: "インシデント報告", "Report an incident";
    nav_incidents: "インシデント", "Incidents";
    banner: "新しいインシデント報告が {0} 件あります。すぐに確認してください。", "{0} new incident report(s). Look at them now.";
    banner_link: "報告を見る", "See the reports";
    report_title: "不具合・インシデントの報告", "Report a problem or incident";
    report_help: "パソコンに脅迫文が出た、ファイルが開けない、不審なメールを開いた――おかしいと思ったら、すぐに報告してください。わかることだけで構いません。電源は切らないでください。", "A ransom note on a PC, files that will not open, a suspicious e-mail opened: report it now, with whatever you know. Do not switch the device off.";
    noticed_on: "気づいた日（事象発生確認年月日）", "Day noticed";
    noticed_at: "時刻", "Time";
    place: "場所", "Place";
    place_placeholder: "受付、診察室2", "Reception, exam room 2";
    device: "機器（台帳の管理番号）", "Device (asset number in the ledger)";
    device_none: "（台帳にない・わからない）", "(not in the ledger, or not known)";
    device_name: "機器名称", "Device name";
    device_name_placeholder: "受付のパソコン", "Reception PC";
    segment: "ネットワーク", "Network";
    segment_none: "（わからない）", "(not known)";
    reporter: "報告者の氏名", "Your name";
    department: "所属（課）", "Department";
    patterns: "何が起きましたか（あてはまるものすべて）", "What happened (tick all that apply)";
    other: "その他の内容", "Other: what";
    details: "詳しい状況", "Details";
    details_placeholder: "画面に英語の文章が出ている。ファイルの名前が変わっている、など", "An English message on screen; file names have changed; …";
    measures: "すでにしたこと（緊急措置）", "Already done (first measures)";
    measure_time: "時刻", "time";
    photos: "写真（画面や機器をスマートフォンで撮影）", "Photos (the screen or device, taken with a phone)";
    photos_help: "JPEG・PNG・HEIC・WebP、1枚10 MBまで、5枚・合計20 MBまで。SHA-256 とともに保存します。", "JPEG, PNG, HEIC or WebP, up to 10 MB each, 5 photos and 20 MB in all. Kept with their SHA-256.";
    join: "進行中のインシデントに追加する", "Add to an incident in progress";
    join_none: "（新しい報告）", "(a new report)";
    send: "報告する", "Send the report";
    reported_title: "報告しました。次のことをしてください", "Reported. Do this now";
    reported_number: "報告番号", "Report number";
    reported_help: "医療従事者・利用者のインシデント対応マニュアル（III）の手順です。企画管理者の指示があるまで、この手順に従ってください。", "These are the steps of the incident manual for staff (III). Follow them until the planning manager tells you otherwise.";
    do_not_switch_off: "電源は切らないでください（証拠が消えます）。LANケーブルを抜き、Wi-Fiを切ってください。", "Do not switch the device off (it destroys evidence). Unplug its network cable and switch its Wi-Fi off.";
    list_title: "インシデント", "Incidents";
    list_help: "報告されたインシデントと訓練です。報告はだれでもできます。対応の記録は企画管理者と安全管理責任者が残します。何も削除されず、訂正も記録として残ります。", "Reported incidents and drills. Anyone can report; the planning manager and the security manager record the response. Nothing is ever deleted; corrections are new entries.";
    no_incidents: "まだ報告はありません。", "No reports yet.";
    incident: "インシデント", "Incident";
    status: "状況", "Status";
    severity: "重大度", "Severity";
    drill: "訓練", "Drill";
    known_on: "把握した日", "Day known";
    opened_at: "最初の報告", "First report";
    lead: "担当者", "In charge";
    nobody: "（未定）", "(nobody yet)";
    reports: "報告", "Reports";
    reports_count: "報告 {0} 件", "{0} report(s)";
    report_heading: "報告 {0}（{1}）", "Report {0} ({1})";
    anonymous: "アカウントなしの報告", "Reported without an account";
    timeline: "経過（タイムライン）", "Timeline";
    timeline_help: "すべての手順・判断・記録を、時刻と記録者とともに残します。", "Every step, decision and note, with its time and who recorded it.";
    files: "写真・ファイル", "Photos and files";
    sha256: "SHA-256", "SHA-256";
    handle: "対応を記録する", "Record the response";
    take_charge: "担当する", "Take charge";
    set_status: "状況を変える", "Change the status";
    set_severity: "重大度を変える", "Change the severity";
    mark_drill: "訓練として記録する", "Mark as a drill";
    mark_real: "実際の事象として記録する", "Mark as a real incident";
    add_note: "記録を追加する", "Add a note";
    note: "記録（判断・連絡・訂正など）", "Note (a decision, a call, a correction…)";
    playbook: "対応マニュアルの手順", "Manual steps";
    playbook_help: "企画管理者のインシデント対応マニュアル（II）の手順です。実施したら記録し、該当しない手順は理由を残します。", "The steps of the planning manager's incident manual (II). Record each one done; for one that does not apply, give the reason.";
    step_done: "実施", "Done";
    step_na: "該当なし", "Not applicable";
    step_remark: "メモ・該当しない理由", "Remark, or why it does not apply";
    step_open: "未実施", "Open";
    by: "{0}（{1}）", "{0} ({1})";
    back_to_list: "インシデント一覧へ戻る", "Back to the incidents";
    error_unknown_device: "この管理番号の機器は台帳にありません（廃棄済みを含む）。", "No device in the ledger has this asset number (or it was disposed of).";
    error_unknown_segment: "このネットワークは台帳にありません。", "This network is not in the network ledger.";
    error_unknown_incident: "追加先のインシデントが見つからないか、終了しています。", "The incident to add to is not found, or is closed.";
    error_photo: "写真は JPEG・PNG・HEIC・WebP の画像で、10 MB までにしてください（{0}）。", "Photos must be JPEG, PNG, HEIC or WebP images of at most 10 MB ({0}).";
    error_too_many_photos: "写真は5枚までです。", "At most five photos.";
    error_step: "この手順はマニュアルにありません。", "This step is not in the manual.";
    error_note: "記録を書いてください（2000文字以内）。", "Write the note (at most 2000 characters).";
    }
}
