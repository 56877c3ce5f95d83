//! The ledgers (台帳): devices and media (使用機器一覧表, 第5条) with their
//! import and export as spreadsheets. Later: use, carry-out and disposal
//! records, staff and accounts, the network diagram.

pub mod carry_out;
pub mod device;
pub mod facts;
pub mod import;
pub mod table;

pub use carry_out::{
    Actor, CarryOutAction, CarryOutRefusal, CarryOutStatus, NewCarryOut, RawCarryOut, is_overdue,
    next_status, parse_carry_out,
};
pub use device::{
    Antivirus, DeviceKind, DeviceStatus, ExternalMedia, MacAddress, NewDevice, RawDevice,
    RemoteMaintenance, YesNo, parse_asset_number, parse_device, parse_yes_no, yes_no_ja,
};
pub use facts::{Contradiction, DEVICE_ITEM_KEYS, DeviceFacts, STALE_UPDATE_DAYS, contradictions};
pub use import::{
    Column, DEVICE_COLUMNS, Existing, HeaderProblem, ImportProblems, ImportRow, RowChange,
    RowError, RowProblem, check_device_import, device_headers, device_row,
};
pub use table::{
    MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, Table, TableError, TextEncoding, read_table, write_csv,
};
