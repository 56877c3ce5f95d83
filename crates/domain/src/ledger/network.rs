//! The network diagram (全体構成図, 第4条(1)①, 参考4): segments, the links
//! between them (through a router, firewall or VPN device), and the devices of
//! the ledger placed on their segment. The layout is computed here so the
//! drawing is the same on screen, in print and in the downloaded SVG.

use super::device::{DeviceKind, Errors, NewDevice};
use crate::ParseError;
use crate::error::{optional_text, required_text};

choice! {
    /// What a segment is.
    pub enum SegmentKind {
        /// インターネット.
        Internet = ("internet", "インターネット") => "Internet",
        /// 閉域網・専用線 (WAN).
        Wan = ("wan", "閉域網・専用線") => "Closed network or leased line",
        /// VPN (リモート保守など).
        Vpn = ("vpn", "VPN") => "VPN",
        /// 院内LAN.
        Lan = ("lan", "院内LAN") => "In-house LAN",
        /// 無線LAN.
        Wifi = ("wifi", "無線LAN") => "Wireless LAN",
        /// その他.
        Other = ("other", "その他") => "Other",
    }
}

/// A segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSegment {
    /// Its name, as devices' ネットワークセグメント field names it.
    pub name: String,
    /// What it is.
    pub kind: SegmentKind,
    /// 備考 (address range, purpose …).
    pub note: String,
}

/// Parses the segment form; every wrong field is reported.
pub fn parse_segment(name: &str, kind: &str, note: &str) -> Result<NewSegment, Vec<ParseError>> {
    let mut errors = Errors::default();
    let name = errors.take(required_text("segment_name", name, 50));
    let kind = errors.take(SegmentKind::parse("segment_kind", kind));
    let note = errors.take(optional_text("note", note, 200));
    match (name, kind, note) {
        (Some(name), Some(kind), Some(note)) if errors.0.is_empty() => {
            Ok(NewSegment { name, kind, note })
        }
        _ => Err(errors.0),
    }
}

/// A link between two segments, through a device of the ledger if named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    /// One end (segment id).
    pub from: i64,
    /// The other end (segment id).
    pub to: i64,
    /// The router, firewall or VPN device between them (管理番号), if any.
    pub via: Option<String>,
}

/// A device as the diagram draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedDevice {
    pub x: i32,
    pub y: i32,
    pub asset_number: String,
    pub kind: &'static str,
    pub address: String,
}

/// A segment as the diagram draws it: a labelled bus with its devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub top: i32,
    pub height: i32,
    pub bus_y: i32,
    pub label: String,
    pub kind: &'static str,
    pub devices: Vec<PlacedDevice>,
    /// Devices not drawn (over [`MAX_DRAWN_PER_SEGMENT`]).
    pub more: usize,
}

/// A link as the diagram draws it: a vertical line between two buses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    pub x: i32,
    pub y1: i32,
    pub y2: i32,
    pub label: String,
}

/// The whole drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    /// Where the buses begin (connectors end there).
    pub bus_left: i32,
    pub width: i32,
    pub height: i32,
    pub lanes: Vec<Lane>,
    pub connectors: Vec<Connector>,
}

/// Devices per row of a lane, and the most a lane draws.
pub const DEVICES_PER_ROW: usize = 6;
pub const MAX_DRAWN_PER_SEGMENT: usize = 60;
const BOX_WIDTH: i32 = 150;
const BOX_HEIGHT: i32 = 44;
const GAP: i32 = 12;
/// The lane's name and kind sit left of [`CONNECTOR_LEFT`]; links run
/// in the gutter between it and [`BUS_LEFT`], where the buses begin.
const CONNECTOR_LEFT: i32 = 140;
/// Where each segment's bus line starts.
pub const BUS_LEFT: i32 = 240;
const LEFT: i32 = BUS_LEFT;
const LANE_HEAD: i32 = 46;

/// Lays out `segments` (with their ids) top to bottom — internet first, then
/// WAN, VPN, LAN, Wi-Fi — with each device of the ledger under the segment its
/// ネットワークセグメント names, devices naming no known segment in a last lane,
/// and a connector for each link.
pub fn lay_out(
    segments: &[(i64, NewSegment)],
    links: &[NewLink],
    devices: &[NewDevice],
) -> Diagram {
    let mut ordered: Vec<&(i64, NewSegment)> = segments.iter().collect();
    ordered.sort_by(|a, b| (a.1.kind, &a.1.name).cmp(&(b.1.kind, &b.1.name)));
    let width = LEFT + DEVICES_PER_ROW as i32 * (BOX_WIDTH + GAP) + GAP;
    let mut lanes = Vec::new();
    let mut bus_of: Vec<(i64, i32)> = Vec::new();
    let mut top = 10;
    let place = |label: String, kind: &'static str, members: Vec<&NewDevice>, top: &mut i32| {
        let drawn = members.len().min(MAX_DRAWN_PER_SEGMENT);
        let rows = drawn.div_ceil(DEVICES_PER_ROW).max(1) as i32;
        let height = LANE_HEAD + rows * (BOX_HEIGHT + GAP) + GAP;
        let bus_y = *top + 34;
        let placed = members
            .iter()
            .take(drawn)
            .enumerate()
            .map(|(index, device)| {
                let column = (index % DEVICES_PER_ROW) as i32;
                let row = (index / DEVICES_PER_ROW) as i32;
                PlacedDevice {
                    x: LEFT + GAP + column * (BOX_WIDTH + GAP),
                    y: *top + LANE_HEAD + GAP + row * (BOX_HEIGHT + GAP),
                    asset_number: device.asset_number.clone(),
                    kind: device.kind.name_ja(),
                    address: device
                        .ip_addresses
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                }
            })
            .collect();
        let lane = Lane {
            top: *top,
            height,
            bus_y,
            label,
            kind,
            devices: placed,
            more: members.len() - drawn,
        };
        *top += height + GAP;
        lane
    };
    let active = |device: &&NewDevice| device.status != super::device::DeviceStatus::Disposed;
    for (id, segment) in &ordered {
        let members: Vec<&NewDevice> = devices
            .iter()
            .filter(active)
            .filter(|device| device.segment == segment.name)
            .collect();
        let lane = place(
            segment.name.clone(),
            segment.kind.name_ja(),
            members,
            &mut top,
        );
        bus_of.push((*id, lane.bus_y));
        lanes.push(lane);
    }
    let unplaced: Vec<&NewDevice> = devices
        .iter()
        .filter(active)
        .filter(|device| {
            !matches!(device.kind, DeviceKind::Media)
                && !segments
                    .iter()
                    .any(|(_, segment)| segment.name == device.segment)
        })
        .collect();
    if !unplaced.is_empty() {
        lanes.push(place(
            "セグメント未設定".to_owned(),
            "要確認",
            unplaced,
            &mut top,
        ));
    }
    let connectors = links
        .iter()
        .enumerate()
        .filter_map(|(index, link)| {
            let from = bus_of.iter().find(|(id, _)| *id == link.from)?.1;
            let to = bus_of.iter().find(|(id, _)| *id == link.to)?.1;
            Some(Connector {
                x: CONNECTOR_LEFT + (index as i32 % 8) * 12,
                y1: from.min(to),
                y2: from.max(to),
                label: link.via.clone().unwrap_or_default(),
            })
        })
        .collect();
    Diagram {
        bus_left: BUS_LEFT,
        width,
        height: top,
        lanes,
        connectors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::device::{Antivirus, DeviceStatus, ExternalMedia, RemoteMaintenance};

    fn device(asset: &str, kind: DeviceKind, segment: &str) -> NewDevice {
        NewDevice {
            kind,
            asset_number: asset.into(),
            maker_model: String::new(),
            location: String::new(),
            manager: String::new(),
            remarks: String::new(),
            os_version: String::new(),
            last_security_update: None,
            antivirus: Antivirus::Unknown,
            remote: RemoteMaintenance::default(),
            mds_sds_received: None,
            internet_connected: None,
            segment: segment.into(),
            ip_addresses: Vec::new(),
            mac_addresses: Vec::new(),
            initial_password_changed: None,
            external_media: ExternalMedia::default(),
            status: DeviceStatus::Active,
        }
    }

    fn segment(name: &str, kind: SegmentKind) -> NewSegment {
        NewSegment {
            name: name.into(),
            kind,
            note: String::new(),
        }
    }

    #[test]
    fn devices_sit_under_their_segment_the_internet_on_top_and_links_join_buses() {
        let segments = vec![
            (1, segment("電子カルテLAN", SegmentKind::Lan)),
            (2, segment("インターネット", SegmentKind::Internet)),
        ];
        let devices = vec![
            device("SV-01", DeviceKind::Server, "電子カルテLAN"),
            device("PC-01", DeviceKind::Pc, "電子カルテLAN"),
            device("PC-99", DeviceKind::Pc, "どこか"),
            device("USB-1", DeviceKind::Media, ""),
        ];
        let links = vec![NewLink {
            from: 1,
            to: 2,
            via: Some("FW-01".into()),
        }];
        let diagram = lay_out(&segments, &links, &devices);
        let labels: Vec<&str> = diagram.lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            labels,
            vec!["インターネット", "電子カルテLAN", "セグメント未設定"]
        );
        assert_eq!(diagram.lanes[1].devices.len(), 2);
        assert_eq!(
            diagram.lanes[2].devices[0].asset_number, "PC-99",
            "a medium is not drawn"
        );
        let connector = &diagram.connectors[0];
        assert_eq!(
            (connector.y1, connector.y2),
            (diagram.lanes[0].bus_y, diagram.lanes[1].bus_y)
        );
        assert_eq!(connector.label, "FW-01");
        assert!(
            diagram
                .lanes
                .windows(2)
                .all(|pair| pair[0].top + pair[0].height < pair[1].top)
        );
    }

    #[test]
    fn a_crowded_segment_draws_sixty_devices_and_counts_the_rest() {
        let segments = vec![(1, segment("LAN", SegmentKind::Lan))];
        let devices: Vec<NewDevice> = (0..75)
            .map(|n| device(&format!("PC-{n:03}"), DeviceKind::Pc, "LAN"))
            .collect();
        let diagram = lay_out(&segments, &[], &devices);
        assert_eq!(diagram.lanes[0].devices.len(), MAX_DRAWN_PER_SEGMENT);
        assert_eq!(diagram.lanes[0].more, 15);
        assert!(
            diagram.lanes[0]
                .devices
                .iter()
                .all(|d| d.x + 150 <= diagram.width)
        );
    }
}
