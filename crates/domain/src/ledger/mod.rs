//! The ledgers (台帳): devices and media (使用機器一覧表, 第5条) with their
//! import and export as spreadsheets. Later: use, carry-out and disposal
//! records, staff and accounts, the network diagram.

pub mod account_import;
pub mod backup;
pub mod carry_out;
pub mod device;
pub mod facts;
pub mod import;
pub mod network;
pub mod people;
pub mod staff_import;
pub mod table;
pub mod usage;

pub use account_import::{
    ACCOUNT_COLUMNS, AccountImportRow, ExistingAccount, account_headers, account_row,
    check_account_import,
};
pub use backup::{
    BACKUP_ITEM_KEYS, BackupContradiction, BackupFacts, BackupFlag, BackupFrequency, BackupMethod,
    BackupPlanId, LastTest, MIN_GENERATIONS, NewBackupPlan, NewRestoreTest, RESTORE_TEST_MONTHS,
    RawBackupPlan, RawRestoreTest, RestoreDue, RestoreOutcome, RestoreTestId,
    backup_contradictions, backup_flags, parse_backup_plan, parse_restore_test, restore_due,
};
pub use carry_out::{
    Actor, CarryOutAction, CarryOutRefusal, CarryOutStatus, NewCarryOut, RawCarryOut, is_overdue,
    next_status, parse_carry_out,
};
pub use device::{
    Antivirus, DeviceKind, DeviceStatus, ExternalMedia, MacAddress, NewDevice, RawDevice,
    RemoteMaintenance, YesNo, parse_asset_number, parse_device, parse_yes_no, yes_no_en, yes_no_ja,
};
pub use facts::{
    ACCOUNT_ITEM_KEYS, AccountFacts, Contradiction, DEVICE_ITEM_KEYS, DeviceFacts,
    STALE_UPDATE_DAYS, account_contradictions, contradictions,
};
pub use import::{
    Column, DEVICE_COLUMNS, Existing, HeaderProblem, ImportProblems, ImportRow, RowChange,
    RowError, RowProblem, check_device_import, device_headers, device_row,
};
pub use network::{Diagram, NewLink, NewSegment, SegmentKind, lay_out, parse_segment};
pub use people::{
    AccessLevel, AccountFlag, InfoCategory, Job, NewAccount, NewStaff, RawAccount, UNUSED_DAYS,
    account_flags, parse_account, parse_staff, parse_unused_days,
};
pub use staff_import::{
    STAFF_COLUMNS, StaffImportRow, check_staff_import, staff_headers, staff_row,
};
pub use table::{
    CsvWriteError, Delimiter, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, Table, TableError, TextEncoding,
    read_delimited, read_table, write_csv,
};
pub use usage::{NewPrivateDevice, NewUse, parse_deletion_day, parse_private_device, parse_use};
