//! The ledgers (台帳): devices and media (使用機器一覧表, 第5条) with their
//! import and export as spreadsheets. Later: use, carry-out and disposal
//! records, staff and accounts, the network diagram.

pub mod device;
pub mod import;
pub mod table;

pub use device::{
    Antivirus, DeviceKind, DeviceStatus, ExternalMedia, MacAddress, NewDevice, RawDevice,
    RemoteMaintenance, YesNo, parse_asset_number, parse_device, parse_yes_no, yes_no_ja,
};
pub use import::{
    Column, DEVICE_COLUMNS, Existing, HeaderProblem, ImportProblems, ImportRow, RowChange,
    RowError, RowProblem, check_device_import, device_headers, device_row,
};
pub use table::{
    MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, Table, TableError, TextEncoding, read_table, write_csv,
};
