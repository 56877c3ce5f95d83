//! Writes Windows event log files (`.evtx`) for the tests, after Microsoft's
//! documented format ([MS-EVEN6]: the file header, 64 KiB chunks with their
//! string and template tables, event records, and Binary XML), laid out as
//! Windows writes Security events: each record a template instance whose
//! template — the `Event` element with `System` and `EventData`, the values
//! as substitutions — is defined inline the first time it is used in a chunk
//! and referred to by offset after that, element and attribute names kept
//! once per chunk and referred to by offset.

use std::collections::HashMap;

/// One Security event to write.
#[derive(Debug, Clone)]
pub struct SecurityEvent {
    pub record_id: u64,
    pub time: jiff::Timestamp,
    pub event_id: u16,
    pub computer: String,
    /// `EventData` as `Data Name="…"` elements, in order.
    pub data: Vec<(String, String)>,
}

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;
const CHUNK_HEADER: usize = 512;

/// BinXML value types used here ([MS-EVEN6] 2.2.3.1).
const STRING: u8 = 0x01;
const UINT16: u8 = 0x06;
const UINT64: u8 = 0x0a;
const FILETIME: u8 = 0x11;

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize()
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// 100-nanosecond intervals since 1601-01-01 UTC.
fn filetime(time: jiff::Timestamp) -> u64 {
    let nanos = time.as_nanosecond() + 11_644_473_600 * 1_000_000_000;
    u64::try_from(nanos / 100).unwrap_or(0)
}

/// A substitution value: its type and bytes.
struct Value(u8, Vec<u8>);

/// One chunk being filled.
struct Chunk {
    bytes: Vec<u8>,
    names: HashMap<String, u32>,
    /// Template ids and definition offsets by the `EventData` names they hold.
    templates: HashMap<Vec<String>, (u32, u32)>,
    first: Option<u64>,
    last: u64,
    last_offset: u32,
}

impl Chunk {
    fn new() -> Self {
        Self {
            bytes: vec![0; CHUNK_HEADER],
            names: HashMap::new(),
            templates: HashMap::new(),
            first: None,
            last: 0,
            last_offset: 0,
        }
    }

    fn position(&self) -> u32 {
        self.bytes.len() as u32
    }

    fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    fn u16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    fn patch_u32(&mut self, at: u32, value: u32) {
        let at = at as usize;
        self.bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// A name reference: the offset of the name kept in the chunk, written
    /// right here (inline) the first time.
    fn name(&mut self, name: &str) {
        if let Some(&offset) = self.names.get(name) {
            self.u32(offset);
            return;
        }
        let offset = self.position() + 4;
        self.u32(offset);
        self.names.insert(name.to_owned(), offset);
        let units: Vec<u16> = name.encode_utf16().collect();
        let hash = units.iter().fold(0u32, |hash, unit| {
            hash.wrapping_mul(65599).wrapping_add(u32::from(*unit))
        });
        self.u32(0);
        self.u16((hash & 0xffff) as u16);
        self.u16(units.len() as u16);
        for unit in units {
            self.u16(unit);
        }
        self.u16(0);
    }

    /// `<name attributes…>`: returns where its data size goes.
    fn open(&mut self, name: &str, attributes: &[(&str, Attribute)]) -> u32 {
        self.u8(if attributes.is_empty() { 0x01 } else { 0x41 });
        self.u16(0xffff); // no dependency
        let size_at = self.position();
        self.u32(0);
        self.name(name);
        if !attributes.is_empty() {
            let list_at = self.position();
            self.u32(0);
            for (n, (attribute, value)) in attributes.iter().enumerate() {
                self.u8(if n + 1 < attributes.len() { 0x46 } else { 0x06 });
                self.name(attribute);
                match value {
                    Attribute::Text(text) => self.text(text),
                    Attribute::Substitution(id, kind) => self.substitution(*id, *kind, false),
                }
            }
            let length = self.position() - list_at - 4;
            self.patch_u32(list_at, length);
        }
        size_at
    }

    fn close(&mut self, size_at: u32, empty: bool) {
        self.u8(if empty { 0x03 } else { 0x04 });
        let length = self.position() - size_at - 4;
        self.patch_u32(size_at, length);
    }

    fn text(&mut self, text: &str) {
        self.u8(0x05);
        self.u8(STRING);
        self.u16(text.encode_utf16().count() as u16);
        self.bytes.extend(utf16(text));
    }

    fn substitution(&mut self, id: u16, kind: u8, optional: bool) {
        self.u8(if optional { 0x0e } else { 0x0d });
        self.u16(id);
        self.u8(kind);
    }

    /// `<name>substitution</name>`.
    fn element_with(&mut self, name: &str, id: u16, kind: u8, optional: bool) {
        let size_at = self.open(name, &[]);
        self.u8(0x02);
        self.substitution(id, kind, optional);
        self.close(size_at, false);
    }

    /// The template of a Security event with `names` in its `EventData`.
    fn template_body(&mut self, names: &[String]) {
        self.bytes.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
        let event = self.open(
            "Event",
            &[(
                "xmlns",
                Attribute::Text("http://schemas.microsoft.com/win/2004/08/events/event"),
            )],
        );
        self.u8(0x02);
        let system = self.open("System", &[]);
        self.u8(0x02);
        let provider = self.open(
            "Provider",
            &[
                (
                    "Name",
                    Attribute::Text("Microsoft-Windows-Security-Auditing"),
                ),
                (
                    "Guid",
                    Attribute::Text("{54849625-5478-4994-a5ba-3e3b0328c30d}"),
                ),
            ],
        );
        self.close(provider, true);
        self.element_with("EventID", 0, UINT16, false);
        let created = self.open(
            "TimeCreated",
            &[("SystemTime", Attribute::Substitution(1, FILETIME))],
        );
        self.close(created, true);
        self.element_with("EventRecordID", 2, UINT64, false);
        let channel = self.open("Channel", &[]);
        self.u8(0x02);
        self.text("Security");
        self.close(channel, false);
        self.element_with("Computer", 3, STRING, false);
        self.close(system, false);
        let data = self.open("EventData", &[]);
        self.u8(0x02);
        for (n, name) in names.iter().enumerate() {
            let element = self.open("Data", &[("Name", Attribute::Text(name))]);
            self.u8(0x02);
            self.substitution(4 + n as u16, STRING, true);
            self.close(element, false);
        }
        self.close(data, false);
        self.close(event, false);
        self.u8(0x00);
    }

    /// Appends one record; `false` (and nothing written) when it does not fit.
    fn record(&mut self, event: &SecurityEvent) -> bool {
        let saved = (self.bytes.len(), self.names.clone(), self.templates.clone());
        let start = self.position();
        self.bytes.extend_from_slice(b"**\0\0");
        self.u32(0);
        self.bytes.extend_from_slice(&event.record_id.to_le_bytes());
        self.bytes
            .extend_from_slice(&filetime(event.time).to_le_bytes());
        self.bytes
            .extend_from_slice(&[0x0f, 0x01, 0x01, 0x00, 0x0c, 0x01]);
        let names: Vec<String> = event.data.iter().map(|(name, _)| name.clone()).collect();
        match self.templates.get(&names) {
            Some(&(id, offset)) => {
                self.u32(id);
                self.u32(offset);
            }
            None => {
                let id = self.templates.len() as u32 + 1;
                self.u32(id);
                let offset = self.position() + 4;
                self.u32(offset);
                self.templates.insert(names.clone(), (id, offset));
                self.u32(0); // next template
                let mut guid = [0u8; 16];
                guid[..4].copy_from_slice(&id.to_le_bytes());
                self.bytes.extend_from_slice(&guid);
                let size_at = self.position();
                self.u32(0);
                self.template_body(&names);
                let length = self.position() - size_at - 4;
                self.patch_u32(size_at, length);
            }
        }
        let mut values = vec![
            Value(UINT16, event.event_id.to_le_bytes().to_vec()),
            Value(FILETIME, filetime(event.time).to_le_bytes().to_vec()),
            Value(UINT64, event.record_id.to_le_bytes().to_vec()),
            Value(STRING, utf16(&event.computer)),
        ];
        values.extend(
            event
                .data
                .iter()
                .map(|(_, value)| Value(STRING, utf16(value))),
        );
        self.u32(values.len() as u32);
        for Value(kind, bytes) in &values {
            self.u16(bytes.len() as u16);
            self.u8(*kind);
            self.u8(0);
        }
        for Value(_, bytes) in &values {
            self.bytes.extend_from_slice(bytes);
        }
        self.u8(0x00);
        let size = self.position() - start + 4;
        self.u32(size);
        self.patch_u32(start + 4, size);
        if self.bytes.len() > CHUNK {
            self.bytes.truncate(saved.0);
            (self.names, self.templates) = (saved.1, saved.2);
            return false;
        }
        self.first.get_or_insert(event.record_id);
        self.last = event.record_id;
        self.last_offset = start;
        true
    }

    fn finish(mut self) -> Vec<u8> {
        let free = self.bytes.len() as u32;
        let first = self.first.unwrap_or(1);
        let mut header = Vec::with_capacity(CHUNK_HEADER);
        header.extend_from_slice(b"ElfChnk\0");
        for number in [first, self.last, first, self.last] {
            header.extend_from_slice(&number.to_le_bytes());
        }
        header.extend_from_slice(&128u32.to_le_bytes());
        header.extend_from_slice(&self.last_offset.to_le_bytes());
        header.extend_from_slice(&free.to_le_bytes());
        let events = crc32(&[&self.bytes[CHUNK_HEADER..]]);
        header.extend_from_slice(&events.to_le_bytes());
        header.resize(CHUNK_HEADER, 0);
        let checksum = crc32(&[&header[..120], &header[128..CHUNK_HEADER]]);
        header[124..128].copy_from_slice(&checksum.to_le_bytes());
        self.bytes[..CHUNK_HEADER].copy_from_slice(&header);
        self.bytes.resize(CHUNK, 0);
        self.bytes
    }
}

enum Attribute<'a> {
    Text(&'a str),
    Substitution(u16, u8),
}

/// The `.evtx` file holding `events`, in as many chunks as they need.
pub fn write_evtx(events: &[SecurityEvent]) -> Vec<u8> {
    let mut chunks = Vec::new();
    let mut chunk = Chunk::new();
    for event in events {
        if !chunk.record(event) {
            chunks.push(std::mem::replace(&mut chunk, Chunk::new()).finish());
            assert!(chunk.record(event), "one event fits an empty chunk");
        }
    }
    chunks.push(chunk.finish());
    let next = events
        .iter()
        .map(|event| event.record_id)
        .max()
        .unwrap_or(0)
        + 1;
    let mut file = Vec::with_capacity(FILE_HEADER + chunks.len() * CHUNK);
    file.extend_from_slice(b"ElfFile\0");
    file.extend_from_slice(&0u64.to_le_bytes());
    file.extend_from_slice(&(chunks.len() as u64 - 1).to_le_bytes());
    file.extend_from_slice(&next.to_le_bytes());
    file.extend_from_slice(&128u32.to_le_bytes());
    file.extend_from_slice(&1u16.to_le_bytes());
    file.extend_from_slice(&3u16.to_le_bytes());
    file.extend_from_slice(&(FILE_HEADER as u16).to_le_bytes());
    file.extend_from_slice(&(chunks.len() as u16).to_le_bytes());
    file.resize(128, 0);
    let checksum = crc32(&[&file[..120]]);
    file[124..128].copy_from_slice(&checksum.to_le_bytes());
    file.resize(FILE_HEADER, 0);
    for chunk in chunks {
        file.extend(chunk);
    }
    file
}
