//! Product rules: a parsed syslog message becomes a [`LogEvent`]. Linux
//! sshd/PAM and account tools, YAMAHA RTX routers and FortiGate firewalls
//! are recognised; any other line becomes an "unrecognised" event with its
//! raw text, never dropped.
//!
//! Every rule is hand-written scanning (no regular expressions), linear in
//! the line's length.

use std::net::IpAddr;

use jiff::{Timestamp, civil, tz};

use super::event::{Action, LogEvent, Outcome};
use super::syslog::{Source, SyslogMessage};

/// Which rule recognised a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// OpenSSH's sshd, PAM and the Linux account tools.
    Linux,
    /// YAMAHA RTX routers.
    YamahaRtx,
    /// Fortinet FortiGate (key=value logs).
    FortiGate,
}

/// The event a message describes, and which rule recognised it (`None`:
/// no rule did, and the event is [`LogEvent::unrecognised`] with the
/// message's host, app and time).
pub fn to_event(message: &SyslogMessage<'_>, source: &Source) -> (LogEvent, Option<Product>) {
    // Built only for the rule that recognises the line (a line is checked
    // against each rule in turn; copying its raw text for each would cost
    // more than the checks).
    let base = || LogEvent {
        host: message.hostname.map(str::to_owned),
        app: message.app_name.map(str::to_owned),
        ..LogEvent::unrecognised(message.time_or(source.received_at), message.raw)
    };
    if let Some(event) = fortigate(message, source, base) {
        return (event, Some(Product::FortiGate));
    }
    if let Some(event) = linux(message.message, base) {
        return (event, Some(Product::Linux));
    }
    if let Some(event) = yamaha_rtx(message.message, base) {
        return (event, Some(Product::YamahaRtx));
    }
    (base(), None)
}

fn address(text: &str) -> Option<IpAddr> {
    let text = text.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '[' | ']' | ';'));
    text.parse().ok()
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn with(
    mut event: LogEvent,
    action: Action,
    outcome: Outcome,
    user: Option<String>,
    source_address: Option<IpAddr>,
) -> LogEvent {
    event.action = action;
    event.outcome = outcome;
    event.user = user;
    event.source_address = source_address;
    event
}

/// `USER from ADDR[ port P …]`: the user (which may hold spaces) and the address.
fn user_from(text: &str) -> (Option<String>, Option<IpAddr>) {
    match text.rsplit_once(" from ") {
        Some((user, rest)) => (non_empty(user), rest.split(' ').next().and_then(address)),
        None => (non_empty(text), None),
    }
}

/// OpenSSH sshd, `pam_unix` and the shadow-utils account tools.
fn linux(text: &str, base: impl Fn() -> LogEvent) -> Option<LogEvent> {
    use Action::*;
    use Outcome::*;
    if let Some(rest) = text.strip_prefix("Accepted ") {
        // Accepted password|publickey|keyboard-interactive/pam for USER from ADDR port P ssh2
        let (_, rest) = rest.split_once(" for ")?;
        let (user, from) = user_from(rest);
        return Some(with(base(), SignIn, Success, user, from));
    }
    if let Some(rest) = text.strip_prefix("Failed ") {
        let (_, rest) = rest.split_once(" for ")?;
        let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
        let (user, from) = user_from(rest);
        return Some(with(base(), SignIn, Failure, user, from));
    }
    if let Some(rest) = text.strip_prefix("Invalid user ") {
        let (user, from) = user_from(rest);
        return Some(with(base(), SignIn, Failure, user, from));
    }
    if let Some(rest) = text.strip_prefix("Disconnected from user ") {
        // Disconnected from user USER ADDR port P
        let (user, rest) = rest.split_once(' ')?;
        let from = rest.split(' ').next().and_then(address);
        return Some(with(base(), SignOut, Success, non_empty(user), from));
    }
    if let Some(rest) = text.strip_prefix("pam_unix(") {
        let (service, rest) = rest.split_once("): ")?;
        // Scheduled jobs open sessions too; they are nobody signing in.
        let service = service.split(':').next().unwrap_or(service);
        if matches!(service, "cron" | "crond" | "atd" | "systemd-user") {
            return None;
        }
        // "session opened for user alice(uid=1000) by (uid=0)" (newer PAM adds the uid)
        let session_user = |rest: &str| {
            let user = rest.split(' ').next().unwrap_or("");
            non_empty(user.split('(').next().unwrap_or(user))
        };
        if let Some(user) = rest.strip_prefix("session opened for user ") {
            return Some(with(
                base(),
                SessionOpened,
                Success,
                session_user(user),
                None,
            ));
        }
        if let Some(user) = rest.strip_prefix("session closed for user ") {
            return Some(with(
                base(),
                SessionClosed,
                Success,
                session_user(user),
                None,
            ));
        }
        if let Some(user) = rest.strip_prefix("password changed for ") {
            return Some(with(
                base(),
                PasswordChanged,
                Success,
                non_empty(user),
                None,
            ));
        }
        if rest.starts_with("authentication failure;") {
            // "... rhost=ADDR  user=USER": key=value pairs, user may be absent.
            let mut user = None;
            let mut from = None;
            for (key, value) in key_values(rest) {
                match key {
                    "user" => user = non_empty(&value),
                    "rhost" => from = address(&value),
                    _ => {}
                }
            }
            return Some(with(base(), SignIn, Failure, user, from));
        }
        return None;
    }
    // useradd: "new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash"
    if let Some(rest) = text.strip_prefix("new user: name=") {
        let user = rest.split(',').next().unwrap_or("");
        return Some(with(base(), AccountCreated, Success, non_empty(user), None));
    }
    // userdel: "delete user 'bob'"
    if let Some(rest) = text.strip_prefix("delete user '") {
        let user = rest.split('\'').next().unwrap_or("");
        return Some(with(base(), AccountDeleted, Success, non_empty(user), None));
    }
    // passwd/usermod: "lock user 'bob' password", "unlock user 'bob' password"
    for (prefix, action) in [
        ("lock user '", AccountLocked),
        ("unlock user '", AccountUnlocked),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let user = rest.split('\'').next().unwrap_or("");
            return Some(with(base(), action, Success, non_empty(user), None));
        }
    }
    None
}

/// The first IP address among the words of `text`.
fn first_address(text: &str) -> Option<IpAddr> {
    text.split([' ', ',', '(', ')']).find_map(address)
}

/// The first name in single quotes (`'user1'`), as RTX writes user names.
fn quoted_user(text: &str) -> Option<String> {
    let (_, rest) = text.split_once('\'')?;
    let (user, _) = rest.split_once('\'')?;
    non_empty(user)
}

/// YAMAHA RTX. The router sends its lines without timestamp or hostname
/// (`<PRI>` then the text). Sign-in lines follow the documented shape
/// `Login succeeded for TELNET: 192.168.100.10`, `Login failed for SSH: …`,
/// `Logout from TELNET: …`. VPN lines vary with firmware and setting; they
/// are recognised by their tag (`[L2TP]`, `[IKE]`, `PP[…]`, `IP Tunnel[…]`)
/// and keywords (connected, disconnect, up, down, authenticated, fail),
/// taking the first address and any `'user'` found in the line.
fn yamaha_rtx(text: &str, base: impl Fn() -> LogEvent) -> Option<LogEvent> {
    use Action::*;
    use Outcome::*;
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    // The interface the sign-in came through (TELNET, SSH, HTTP, SFTP, …).
    let protocol = |rest: &str| rest.split(':').next().map(str::trim).and_then(non_empty);
    for (prefix, action, outcome) in [
        ("Login succeeded for ", SignIn, Success),
        ("Login failed for ", SignIn, Failure),
        ("Logout from ", SignOut, Success),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let mut event = with(
                base(),
                action,
                outcome,
                quoted_user(rest),
                first_address(rest),
            );
            if event.app.is_none() {
                event.app = protocol(rest);
            }
            return Some(event);
        }
    }
    let vpn = text.starts_with("[L2TP]")
        || text.starts_with("[IKE]")
        || text.starts_with("[IPSEC]")
        || text.starts_with("[PPTP]")
        || text.starts_with("IP Tunnel[")
        || text.starts_with("PP[")
        || lower.starts_with("l2tp/ipsec");
    if !vpn {
        return None;
    }
    let user = quoted_user(text).or_else(|| {
        // "L2TP/IPsec user alice authenticated"
        let (_, rest) = text.split_once(" user ")?;
        rest.split(' ').next().and_then(non_empty)
    });
    let address = first_address(text);
    let has = |word: &str| lower.contains(word);
    let (action, outcome) = if has("fail") || has("reject") || has("refuse") || has("denied") {
        (VpnConnect, Failure)
    } else if has("disconnect") || has(" down") {
        (VpnDisconnect, Success)
    } else if has("connected") || has("authenticated") || has("established") || has(" up") {
        (VpnConnect, Success)
    } else {
        (Other("vpn".to_owned()), Unknown)
    };
    // `PPP/IPCP up (Local: …, Remote: …)` names the addresses inside the
    // tunnel, not where the peer came from.
    let address = if has("ipcp") { None } else { address };
    Some(with(base(), action, outcome, user, address))
}

/// Splits `key=value key="quoted value" …` (FortiGate's format): values may
/// be quoted, with `\"` and `\\` inside; a word without `=` is skipped; an
/// unclosed quote runs to the end of the line.
pub fn key_values(text: &str) -> Vec<(&str, String)> {
    let mut pairs = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';', ',']);
        if rest.is_empty() {
            return pairs;
        }
        let end = rest.find(['=', ' ', '\t']).unwrap_or(rest.len());
        let (key, after) = rest.split_at_checked(end).unwrap_or((rest, ""));
        let Some(after) = after.strip_prefix('=') else {
            rest = after;
            continue;
        };
        if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut escaped = false;
            let mut consumed = quoted.len();
            for (index, c) in quoted.char_indices() {
                match (escaped, c) {
                    (true, _) => {
                        value.push(c);
                        escaped = false;
                    }
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        consumed = index + 1;
                        break;
                    }
                    (false, _) => value.push(c),
                }
            }
            pairs.push((key, value));
            rest = quoted.get(consumed..).unwrap_or("");
        } else {
            let end = after.find([' ', '\t']).unwrap_or(after.len());
            let (value, after) = after.split_at_checked(end).unwrap_or((after, ""));
            pairs.push((key, value.to_owned()));
            rest = after;
        }
    }
}

/// `+0900`, `-0500`, `+09:00` as an offset.
fn fortigate_offset(text: &str) -> Option<tz::Offset> {
    let (sign, digits) = match text.strip_prefix('+') {
        Some(digits) => (1, digits),
        None => (-1, text.strip_prefix('-')?),
    };
    let digits = digits.replace(':', "");
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..)?.parse().ok()?;
    tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// FortiOS's `eventtime`: seconds, milliseconds, microseconds or
/// nanoseconds since the epoch, told apart by the number of digits.
fn fortigate_eventtime(text: &str) -> Option<Timestamp> {
    let value: i64 = text.parse().ok()?;
    match text.len() {
        1..=10 => Timestamp::from_second(value).ok(),
        11..=13 => Timestamp::from_millisecond(value).ok(),
        14..=16 => Timestamp::from_microsecond(value).ok(),
        _ => Timestamp::from_nanosecond(i128::from(value)).ok(),
    }
}

/// FortiGate key=value logs (`date= time= devname= logid= type= subtype=
/// user= srcip= action= status= msg=`).
fn fortigate(
    message: &SyslogMessage<'_>,
    source: &Source,
    base: impl Fn() -> LogEvent,
) -> Option<LogEvent> {
    use Action::*;
    use Outcome::*;
    if !message.message.contains("logid=") {
        return None;
    }
    let pairs = key_values(message.message);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    };
    get("logid")?;
    get("type")?;
    let date = get("date").and_then(|date| date.parse::<civil::Date>().ok());
    let time = get("time").and_then(|time| time.parse::<civil::Time>().ok());
    let local = date.zip(time).and_then(|(date, time)| {
        let datetime = date.to_datetime(time);
        let zoned = match get("tz").and_then(fortigate_offset) {
            Some(offset) => datetime.to_zoned_datetime(tz::TimeZone::fixed(offset)),
            None => datetime.to_zoned_datetime(source.time_zone.clone()),
        };
        zoned.ok().map(|zoned| zoned.timestamp())
    });
    let mut event = base();
    if let Some(time) = local.or_else(|| get("eventtime").and_then(fortigate_eventtime)) {
        event.time = time;
    }
    if let Some(devname) = get("devname").and_then(non_empty) {
        event.host = Some(devname);
    }
    event.app = Some("FortiGate".to_owned());
    event.user = get("user")
        .or_else(|| get("unauthuser"))
        .and_then(non_empty)
        .filter(|user| user != "N/A");
    event.source_address = get("srcip").or_else(|| get("remip")).and_then(address);
    let status = match get("status").map(str::to_ascii_lowercase).as_deref() {
        Some("success") => Success,
        Some("failed" | "failure" | "fail") => Failure,
        _ => Unknown,
    };
    let action = get("action").unwrap_or("").to_ascii_lowercase();
    let cfgpath = get("cfgpath").unwrap_or("");
    let account_path = matches!(cfgpath, "system.admin" | "user.local");
    let (action, outcome) = match action.as_str() {
        "login" | "auth-logon" => (SignIn, status),
        "logout" | "auth-logout" => (SignOut, or_success(status)),
        "tunnel-up" | "ssl-login" => (VpnConnect, or_success(status)),
        "tunnel-down" | "ssl-logout" => (VpnDisconnect, or_success(status)),
        "ssl-login-fail" | "negotiate-error" => (VpnConnect, Failure),
        "add" if account_path => (AccountCreated, or_success(status)),
        "delete" if account_path => (AccountDeleted, or_success(status)),
        "password-change" | "password" => (PasswordChanged, status),
        "" => (
            Other(get("logdesc").unwrap_or("fortigate").to_owned()),
            status,
        ),
        other => (Other(other.to_owned()), status),
    };
    // The account created or deleted is named in `cfgobj`; `user` is the admin.
    if matches!(action, AccountCreated | AccountDeleted)
        && let Some(object) = get("cfgobj").and_then(non_empty)
    {
        event.user = Some(object);
    }
    event.action = action;
    event.outcome = outcome;
    Some(event)
}

/// A logged completion without a status is a success.
fn or_success(status: Outcome) -> Outcome {
    match status {
        Outcome::Unknown => Outcome::Success,
        known => known,
    }
}

#[cfg(test)]
mod tests {
    use super::super::syslog::parse;
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn source() -> Source {
        Source::new(at("2026-04-01T01:00:30Z"))
    }

    fn event(line: &str) -> (LogEvent, Option<Product>) {
        let message = parse(line, &source()).unwrap();
        to_event(&message, &source())
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn check(
        line: &str,
        product: Product,
        action: Action,
        outcome: Outcome,
        user: Option<&str>,
        from: Option<&str>,
    ) -> LogEvent {
        let (event, recognised) = event(line);
        assert_eq!(recognised, Some(product), "{line}");
        assert_eq!(event.action, action, "{line}");
        assert_eq!(event.outcome, outcome, "{line}");
        assert_eq!(event.user.as_deref(), user, "{line}");
        assert_eq!(event.source_address, from.and_then(ip), "{line}");
        assert_eq!(event.raw, line);
        event
    }

    #[test]
    fn sshd_and_pam_lines() {
        use Action::*;
        use Outcome::*;
        let h = "<38>Apr  1 10:00:00 ehr-srv sshd[2211]: ";
        for (text, action, outcome, user, from) in [
            (
                "Accepted password for alice from 192.168.10.21 port 50522 ssh2",
                SignIn,
                Success,
                Some("alice"),
                Some("192.168.10.21"),
            ),
            (
                "Accepted publickey for bob from 2001:db8::5 port 40000 ssh2: ED25519 SHA256:abc",
                SignIn,
                Success,
                Some("bob"),
                Some("2001:db8::5"),
            ),
            (
                "Accepted keyboard-interactive/pam for carol from 10.0.0.3 port 22 ssh2",
                SignIn,
                Success,
                Some("carol"),
                Some("10.0.0.3"),
            ),
            (
                "Failed password for alice from 192.168.10.21 port 50522 ssh2",
                SignIn,
                Failure,
                Some("alice"),
                Some("192.168.10.21"),
            ),
            (
                "Failed password for invalid user admin from 203.0.113.9 port 4242 ssh2",
                SignIn,
                Failure,
                Some("admin"),
                Some("203.0.113.9"),
            ),
            (
                "Failed password for invalid user two words from 203.0.113.9 port 1 ssh2",
                SignIn,
                Failure,
                Some("two words"),
                Some("203.0.113.9"),
            ),
            (
                "Invalid user oracle from 203.0.113.9 port 4242",
                SignIn,
                Failure,
                Some("oracle"),
                Some("203.0.113.9"),
            ),
            (
                "Invalid user  from 203.0.113.9 port 4242",
                SignIn,
                Failure,
                None,
                Some("203.0.113.9"),
            ),
            (
                "pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)",
                SessionOpened,
                Success,
                Some("alice"),
                None,
            ),
            (
                "pam_unix(sshd:session): session opened for user alice by (uid=0)",
                SessionOpened,
                Success,
                Some("alice"),
                None,
            ),
            (
                "pam_unix(sshd:session): session closed for user alice",
                SessionClosed,
                Success,
                Some("alice"),
                None,
            ),
            (
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=alice",
                SignIn,
                Failure,
                Some("alice"),
                Some("203.0.113.9"),
            ),
            (
                "Disconnected from user alice 192.168.10.21 port 50522",
                SignOut,
                Success,
                Some("alice"),
                Some("192.168.10.21"),
            ),
        ] {
            let event = check(
                &format!("{h}{text}"),
                Product::Linux,
                action,
                outcome,
                user,
                from,
            );
            assert_eq!(event.host.as_deref(), Some("ehr-srv"));
            assert_eq!(event.app.as_deref(), Some("sshd"));
            assert_eq!(event.time, at("2026-04-01T01:00:00Z"));
        }
    }

    #[test]
    fn linux_account_tools() {
        use Action::*;
        use Outcome::Success;
        for (line, action, user) in [
            (
                "<86>Apr  1 10:00:00 srv useradd[1]: new user: name=dave, UID=1002, GID=1002, home=/home/dave, shell=/bin/bash",
                AccountCreated,
                "dave",
            ),
            (
                "<86>Apr  1 10:00:00 srv userdel[1]: delete user 'dave'",
                AccountDeleted,
                "dave",
            ),
            (
                "<86>Apr  1 10:00:00 srv passwd[1]: pam_unix(passwd:chpasswd): password changed for dave",
                PasswordChanged,
                "dave",
            ),
            (
                "<86>Apr  1 10:00:00 srv usermod[1]: lock user 'dave' password",
                AccountLocked,
                "dave",
            ),
            (
                "<86>Apr  1 10:00:00 srv usermod[1]: unlock user 'dave' password",
                AccountUnlocked,
                "dave",
            ),
        ] {
            check(line, Product::Linux, action, Success, Some(user), None);
        }
    }

    #[test]
    fn yamaha_rtx_lines() {
        use Action::*;
        use Outcome::*;
        for (line, action, outcome, user, from) in [
            (
                "<190>Login succeeded for TELNET: 192.168.100.10",
                SignIn,
                Success,
                None,
                Some("192.168.100.10"),
            ),
            (
                "<190>Login succeeded for SSH: 192.168.100.11 'admin'",
                SignIn,
                Success,
                Some("admin"),
                Some("192.168.100.11"),
            ),
            (
                "<190>Login failed for HTTP: 192.168.100.12",
                SignIn,
                Failure,
                None,
                Some("192.168.100.12"),
            ),
            (
                "<190>Logout from TELNET: 192.168.100.10",
                SignOut,
                Success,
                None,
                Some("192.168.100.10"),
            ),
            (
                "<190>[L2TP] TUNNEL[1] connected from 203.0.113.5",
                VpnConnect,
                Success,
                None,
                Some("203.0.113.5"),
            ),
            (
                "<190>[L2TP] TUNNEL[1] disconnected from 203.0.113.5",
                VpnDisconnect,
                Success,
                None,
                Some("203.0.113.5"),
            ),
            (
                "<190>L2TP/IPsec user nurse01 authenticated",
                VpnConnect,
                Success,
                Some("nurse01"),
                None,
            ),
            (
                "<190>[IKE] SA[1] established with 203.0.113.5",
                VpnConnect,
                Success,
                None,
                Some("203.0.113.5"),
            ),
            (
                "<190>[IKE] negotiation failed with 198.51.100.7",
                VpnConnect,
                Failure,
                None,
                Some("198.51.100.7"),
            ),
            (
                "<190>PP[ANONYMOUS01] PPP/IPCP up  (Local: 192.168.100.1, Remote: 192.168.100.201)",
                VpnConnect,
                Success,
                None,
                None,
            ),
            (
                "<190>PP[01] PPP/IPCP down",
                VpnDisconnect,
                Success,
                None,
                None,
            ),
            (
                "<190>PP[ANONYMOUS01] PAP: user 'doctor2' authentication failed",
                VpnConnect,
                Failure,
                Some("doctor2"),
                None,
            ),
            ("<190>IP Tunnel[1] Up", VpnConnect, Success, None, None),
            (
                "<190>[IKE] initiate ISAKMP phase to 203.0.113.5",
                Other("vpn".to_owned()),
                Unknown,
                None,
                Some("203.0.113.5"),
            ),
        ] {
            let event = check(line, Product::YamahaRtx, action, outcome, user, from);
            assert_eq!(event.time, at("2026-04-01T01:00:30Z"), "received time");
        }
        let (telnet, _) = event("<190>Login succeeded for TELNET: 192.168.100.10");
        assert_eq!(telnet.app.as_deref(), Some("TELNET"));
    }

    #[test]
    fn key_value_tokenizer() {
        let pairs = key_values(
            r#"a=1 b="two words" c="say \"hi\" \\ ok" d= e="" lonely f=x=y g="unclosed"#,
        );
        let expected: Vec<(&str, String)> = vec![
            ("a", "1".into()),
            ("b", "two words".into()),
            ("c", r#"say "hi" \ ok"#.into()),
            ("d", "".into()),
            ("e", "".into()),
            ("f", "x=y".into()),
            ("g", "unclosed".into()),
        ];
        assert_eq!(pairs, expected);
        assert!(key_values("").is_empty());
        assert!(key_values("   ").is_empty());
        assert_eq!(key_values("=x").len(), 1);
    }

    #[test]
    fn fortigate_admin_login() {
        let line = r#"<189>date=2026-04-01 time=10:00:00 devname="FG60F" devid="FGT60FTK00000000" logid="0100032001" type="event" subtype="system" level="information" vd="root" tz="+0900" logdesc="Admin login successful" sn="1700000000" user="admin" ui="https(10.0.0.5)" method="https" srcip=10.0.0.5 dstip=10.0.0.1 action="login" status="success" reason="none" profile="super_admin" msg="Administrator admin logged in successfully from https(10.0.0.5)""#;
        let event = check(
            line,
            Product::FortiGate,
            Action::SignIn,
            Outcome::Success,
            Some("admin"),
            Some("10.0.0.5"),
        );
        assert_eq!(event.time, at("2026-04-01T01:00:00Z"));
        assert_eq!(event.host.as_deref(), Some("FG60F"));
    }

    #[test]
    fn fortigate_variants() {
        use Action::*;
        use Outcome::*;
        let head =
            r#"<189>date=2026-04-01 time=10:00:00 devname="FG60F" logid="0101039424" type="event""#;
        for (rest, action, outcome, user, from) in [
            (
                r#" subtype="system" user="admin" srcip=10.0.0.5 action="login" status="failed" reason="passwd_invalid""#,
                SignIn,
                Failure,
                Some("admin"),
                Some("10.0.0.5"),
            ),
            (
                r#" subtype="system" user="admin" srcip=10.0.0.5 action="logout" status="success""#,
                SignOut,
                Success,
                Some("admin"),
                Some("10.0.0.5"),
            ),
            (
                r#" subtype="vpn" action="tunnel-up" tunneltype="ssl-web" remip=203.0.113.20 user="nurse01" group="staff""#,
                VpnConnect,
                Success,
                Some("nurse01"),
                Some("203.0.113.20"),
            ),
            (
                r#" subtype="vpn" action="tunnel-down" remip=203.0.113.20 user="nurse01""#,
                VpnDisconnect,
                Success,
                Some("nurse01"),
                Some("203.0.113.20"),
            ),
            (
                r#" subtype="vpn" action="ssl-login-fail" remip=198.51.100.3 user="guest" reason="sslvpn_login_permission_denied""#,
                VpnConnect,
                Failure,
                Some("guest"),
                Some("198.51.100.3"),
            ),
            (
                r#" subtype="system" user="admin" cfgpath="system.admin" cfgobj="clerk2" action="Add""#,
                AccountCreated,
                Success,
                Some("clerk2"),
                None,
            ),
            (
                r#" subtype="system" user="admin" cfgpath="user.local" cfgobj="clerk2" action="Delete""#,
                AccountDeleted,
                Success,
                Some("clerk2"),
                None,
            ),
            (
                r#" subtype="system" user="N/A" action="update" status="success""#,
                Other("update".to_owned()),
                Success,
                None,
                None,
            ),
        ] {
            let event = check(
                &format!("{head}{rest}"),
                Product::FortiGate,
                action,
                outcome,
                user,
                from,
            );
            // Without tz= the source's zone (Asia/Tokyo) applies.
            assert_eq!(event.time, at("2026-04-01T01:00:00Z"));
        }
    }

    #[test]
    fn fortigate_time_from_eventtime_and_other_offsets() {
        let (first, _) = event(
            r#"<189>logid="0100032001" type="event" eventtime=1775005200123456789 action="login" status="success""#,
        );
        assert_eq!(first.time, at("2026-04-01T01:00:00.123456789Z"));
        let (second, _) = event(
            r#"<189>date=2026-04-01 time=10:00:00 tz="-0500" logid="1" type="event" action="login""#,
        );
        assert_eq!(second.time, at("2026-04-01T15:00:00Z"));
    }

    #[test]
    fn unknown_lines_are_kept() {
        let line = "<13>Apr  1 10:00:00 pc01 cron[5]: (root) CMD (run-parts /etc/cron.hourly)";
        let (unknown, product) = event(line);
        assert_eq!(product, None);
        assert_eq!(unknown.action, Action::Other("unrecognised".to_owned()));
        assert_eq!(unknown.outcome, Outcome::Unknown);
        assert_eq!(unknown.host.as_deref(), Some("pc01"));
        assert_eq!(unknown.app.as_deref(), Some("cron"));
        assert_eq!(unknown.raw, line);
        let cron = "<86>Apr  1 10:00:00 pc01 CRON[9]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)";
        assert_eq!(event(cron).1, None);
        for line in [
            "plain text",
            "<13>Accepted",
            "<13>Failed",
            "<13>pam_unix(x",
            "<13>logid= type=",
        ] {
            let (kept, _) = event(line);
            assert_eq!(kept.raw, line);
        }
    }

    #[test]
    fn arbitrary_text_never_panics() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pieces = [
            "<",
            ">",
            "1",
            "13",
            "191",
            " ",
            "  ",
            "-",
            "[",
            "]",
            "\"",
            "\\",
            "=",
            ":",
            "'",
            "(",
            ")",
            "Apr",
            "Feb 29",
            "10:00:00",
            ".5",
            "2026-04-01T",
            "+09:00",
            "Z",
            "sshd[1]: ",
            "Accepted ",
            "Failed ",
            " for ",
            " from ",
            "invalid user ",
            "Invalid user ",
            "pam_unix(",
            "): ",
            "session opened for user ",
            "Disconnected from user ",
            "Login succeeded for ",
            "Logout from ",
            "[L2TP]",
            "PP[",
            "logid=",
            "type=",
            "date=",
            "time=",
            "tz=",
            "eventtime=",
            "99999999999999999999",
            "2001:db8::1",
            "10.0.0.1",
            "\u{feff}",
            "\u{fffd}",
            "あ",
            "\r",
            "\n",
            "\0",
            "\t",
        ];
        for _ in 0..20_000 {
            let count = usize::try_from(next() % 16).unwrap();
            let line: String = (0..count)
                .map(|_| pieces[usize::try_from(next() % pieces.len() as u64).unwrap()])
                .collect();
            match parse(&line, &source()) {
                Ok(message) => {
                    let (event, _) = to_event(&message, &source());
                    assert_eq!(event.raw, line);
                }
                Err(error) => assert_eq!(error.raw, line),
            }
        }
    }

    #[test]
    fn arbitrary_bytes_through_framing_and_parsing_never_panic() {
        use super::super::framing::FrameDecoder;
        let mut seed: u64 = 0xdead_beef_cafe_f00d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut decoder = FrameDecoder::new(4096);
        for _ in 0..2_000 {
            let length = usize::try_from(next() % 512).unwrap();
            let chunk: Vec<u8> = (0..length).map(|_| next().to_le_bytes()[0]).collect();
            for frame in decoder.push(&chunk).into_iter().flatten() {
                if let Ok(message) = parse(&frame, &source()) {
                    let _ = to_event(&message, &source());
                }
            }
        }
    }
}
