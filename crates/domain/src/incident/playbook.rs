//! The four incident manuals (インシデント（非常時）対応マニュアル I–IV of the
//! handbook) as playbooks: a catalog file, `catalogs/playbooks.yaml`, read
//! into numbered sections of steps to tick. Each manual is written for one
//! role (経営層, 企画管理者, 医療従事者・利用者, ベンダ・委託業者).

use std::collections::BTreeSet;

const FILE: &str = "catalogs/playbooks.yaml";

/// Whom a manual is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Audience {
    /// I 経営層 (院長・理事長).
    Executive,
    /// II (医療情報システム) 企画管理者.
    Planner,
    /// III 医療従事者・利用者等 (every member of staff).
    Staff,
    /// IV ベンダ及び委託業者等.
    Vendor,
}

impl Audience {
    /// Every audience, in the manuals' order.
    pub const ALL: [Self; 4] = [Self::Executive, Self::Planner, Self::Staff, Self::Vendor];

    /// The key used in the catalog and in URLs.
    pub fn key(self) -> &'static str {
        match self {
            Self::Executive => "executive",
            Self::Planner => "planner",
            Self::Staff => "staff",
            Self::Vendor => "vendor",
        }
    }

    /// The audience with this key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// When in an incident a section applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// 平時の備え: before anything happens.
    Prepare,
    /// 発生時の対応: from the first sign to the report, evidence and decisions.
    Respond,
    /// 復旧.
    Recover,
    /// 事後対応: afterwards, 再発防止.
    After,
}

impl Phase {
    fn from_key(key: &str) -> Option<Self> {
        match key {
            "prepare" => Some(Self::Prepare),
            "respond" => Some(Self::Respond),
            "recover" => Some(Self::Recover),
            "after" => Some(Self::After),
            _ => None,
        }
    }

    /// The key used in the catalog.
    pub fn key(self) -> &'static str {
        match self {
            Self::Prepare => "prepare",
            Self::Respond => "respond",
            Self::Recover => "recover",
            Self::After => "after",
        }
    }
}

/// One step of a manual; it may hold sub-steps (ア. イ. …, or a symptom's actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Unique in the catalog, e.g. `II-4-3-a`; what a tick refers to.
    pub id: String,
    /// The manual's wording.
    pub text: String,
    /// For II-4's per-symptom procedures: which symptom (e.g. `malware`).
    pub symptom: Option<String>,
    /// The step convenes or decides in the 対策会議.
    pub meeting: bool,
    /// The step is about the PPC report or telling the patients concerned.
    pub ppc: bool,
    /// The step tells the reader to contact someone.
    pub contact: bool,
    /// Sub-steps, in order.
    pub steps: Vec<Step>,
}

/// A numbered section of a manual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The manual's number, e.g. `"6"`.
    pub number: String,
    /// Its heading, e.g. 証拠保全の実施.
    pub title: String,
    /// When it applies.
    pub phase: Phase,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// One manual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manual {
    /// Whom it is written for.
    pub audience: Audience,
    /// Its numeral as printed: I, II, III, IV.
    pub numeral: String,
    /// Its title.
    pub title: String,
    /// Its sections, in order.
    pub sections: Vec<Section>,
}

/// The four manuals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbooks {
    manuals: Vec<Manual>,
}

/// Why the playbook catalog does not load; names the step or section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct PlaybookError {
    file: &'static str,
    problem: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    version: u32,
    #[allow(dead_code)]
    source: String,
    manuals: Vec<RawManual>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManual {
    key: String,
    numeral: String,
    role: String,
    title: String,
    sections: Vec<RawSection>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    number: String,
    title: String,
    phase: String,
    steps: Vec<RawStep>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: String,
    text: String,
    #[serde(default)]
    symptom: Option<String>,
    #[serde(default)]
    meeting: bool,
    #[serde(default)]
    ppc: bool,
    #[serde(default)]
    contact: bool,
    #[serde(default)]
    steps: Vec<RawStep>,
}

impl Playbooks {
    /// The manuals shipped with mamori.
    pub fn builtin() -> Result<Self, PlaybookError> {
        Self::parse(include_str!("../../../../catalogs/playbooks.yaml"))
    }

    /// Parses and checks a playbook catalog: version 1, the four audiences
    /// once each, every id unique and made of A-Z, a-z, 0-9 and `-`, texts
    /// and titles not empty, every section with steps.
    pub fn parse(yaml: &str) -> Result<Self, PlaybookError> {
        let error = |problem: String| PlaybookError {
            file: FILE,
            problem,
        };
        let raw: RawCatalog = serde_norway::from_str(yaml).map_err(|e| error(e.to_string()))?;
        if raw.version != 1 {
            return Err(error(format!("version {}: only 1 is known", raw.version)));
        }
        let mut ids = BTreeSet::new();
        let mut manuals = Vec::with_capacity(raw.manuals.len());
        for manual in raw.manuals {
            let at = format!("manual {}", manual.key);
            let audience = Audience::from_key(&manual.role)
                .ok_or_else(|| error(format!("{at}: role: unknown {:?}", manual.role)))?;
            if audience.key() != manual.key {
                return Err(error(format!("{at}: key and role differ")));
            }
            if manuals.iter().any(|m: &Manual| m.audience == audience) {
                return Err(error(format!("{at}: given twice")));
            }
            if manual.title.trim().is_empty() {
                return Err(error(format!("{at}: title: empty")));
            }
            let mut sections = Vec::with_capacity(manual.sections.len());
            for section in manual.sections {
                let at = format!("{at} section {}", section.number);
                let phase = Phase::from_key(&section.phase)
                    .ok_or_else(|| error(format!("{at}: phase: unknown {:?}", section.phase)))?;
                if section.title.trim().is_empty() {
                    return Err(error(format!("{at}: title: empty")));
                }
                if section.steps.is_empty() {
                    return Err(error(format!("{at}: no steps")));
                }
                let steps = convert_steps(section.steps, &mut ids)
                    .map_err(|p| error(format!("{at}: {p}")))?;
                sections.push(Section {
                    number: section.number,
                    title: section.title,
                    phase,
                    steps,
                });
            }
            if sections.is_empty() {
                return Err(error(format!("{at}: no sections")));
            }
            manuals.push(Manual {
                audience,
                numeral: manual.numeral,
                title: manual.title,
                sections,
            });
        }
        for audience in Audience::ALL {
            if !manuals.iter().any(|m| m.audience == audience) {
                return Err(error(format!("manual {}: missing", audience.key())));
            }
        }
        Ok(Self { manuals })
    }

    /// The four manuals, in order (I–IV).
    pub fn manuals(&self) -> &[Manual] {
        &self.manuals
    }

    /// The manual written for `audience`.
    pub fn manual(&self, audience: Audience) -> &Manual {
        // `parse` guarantees each audience once; the fallback is never taken.
        self.manuals
            .iter()
            .find(|m| m.audience == audience)
            .unwrap_or(&self.manuals[0])
    }

    /// The step with this id, and the manual it is in.
    pub fn step(&self, id: &str) -> Option<(&Manual, &Step)> {
        self.manuals.iter().find_map(|manual| {
            manual
                .sections
                .iter()
                .find_map(|section| find_step(&section.steps, id))
                .map(|step| (manual, step))
        })
    }
}

impl Playbooks {
    /// A step ticked on an incident: any manual's step outside the 体制整備
    /// sections (phase prepare), which are about readiness, not one incident.
    /// Those who handle the incident tick the staff's (III) and the vendors'
    /// (IV) steps too, as they are told of them. `None` for any other id.
    pub fn handler_step(&self, id: &str) -> Option<&Step> {
        self.manuals.iter().find_map(|manual| {
            manual
                .sections
                .iter()
                .filter(|section| section.phase != Phase::Prepare)
                .find_map(|section| find_step(&section.steps, id))
        })
    }
}

impl Playbooks {
    /// A step of the staff manual's (III) response that the member of staff
    /// who reported an incident ticks for themselves; `None` for any other id.
    pub fn staff_step(&self, id: &str) -> Option<&Step> {
        self.manual(Audience::Staff)
            .sections
            .iter()
            .filter(|section| section.phase == Phase::Respond)
            .find_map(|section| find_step(&section.steps, id))
    }
}

impl Playbooks {
    /// A step of the vendors' manual (IV) outside its 体制整備 section that a
    /// vendor called into an incident answers (what it found, reported or
    /// did); `None` for any other id.
    pub fn vendor_step(&self, id: &str) -> Option<&Step> {
        self.manual(Audience::Vendor)
            .sections
            .iter()
            .filter(|section| section.phase != Phase::Prepare)
            .find_map(|section| find_step(&section.steps, id))
    }
}

fn find_step<'a>(steps: &'a [Step], id: &str) -> Option<&'a Step> {
    steps.iter().find_map(|step| {
        if step.id == id {
            Some(step)
        } else {
            find_step(&step.steps, id)
        }
    })
}

fn convert_steps(raw: Vec<RawStep>, ids: &mut BTreeSet<String>) -> Result<Vec<Step>, String> {
    raw.into_iter()
        .map(|step| {
            let id_ok = !step.id.is_empty()
                && step.id.len() <= 40
                && step
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !id_ok {
                return Err(format!(
                    "step {:?}: id: only A-Z, a-z, 0-9 and '-'",
                    step.id
                ));
            }
            if !ids.insert(step.id.clone()) {
                return Err(format!("step {}: id used twice", step.id));
            }
            if step.text.trim().is_empty() {
                return Err(format!("step {}: text: empty", step.id));
            }
            let id = step.id;
            let steps = convert_steps(step.steps, ids)?;
            Ok(Step {
                id,
                text: step.text,
                symptom: step.symptom,
                meeting: step.meeting,
                ppc: step.ppc,
                contact: step.contact,
                steps,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(steps: &[Step]) -> usize {
        steps.iter().map(|s| 1 + count(&s.steps)).sum()
    }

    #[test]
    fn the_shipped_manuals_load_with_every_section_the_issue_names() {
        let playbooks = Playbooks::builtin().expect("catalogs/playbooks.yaml loads");
        let numerals: Vec<&str> = playbooks
            .manuals()
            .iter()
            .map(|m| m.numeral.as_str())
            .collect();
        assert_eq!(numerals, ["I", "II", "III", "IV"]);
        let planner = playbooks.manual(Audience::Planner);
        let titles: Vec<(&str, &str)> = planner
            .sections
            .iter()
            .map(|s| (s.number.as_str(), s.title.as_str()))
            .collect();
        for (number, word) in [
            ("4", "対処"),
            ("6", "証拠保全"),
            ("7", "診療継続"),
            ("8", "個人情報保護法"),
            ("9", "復旧"),
            ("10", "事後対応"),
        ] {
            assert!(
                titles.iter().any(|(n, t)| *n == number && t.contains(word)),
                "II-{number} {word} in {titles:?}"
            );
        }
        let symptoms: Vec<&str> = planner.sections[3]
            .steps
            .iter()
            .filter_map(|s| s.symptom.as_deref())
            .collect();
        assert_eq!(
            symptoms,
            [
                "phishing_mail",
                "credential_entry",
                "malware",
                "device_down",
                "data_access_failure"
            ]
        );
        let total: usize = playbooks
            .manuals()
            .iter()
            .flat_map(|m| &m.sections)
            .map(|s| count(&s.steps))
            .sum();
        assert_eq!(total, 168, "every step of the four manuals");
        let staff = playbooks.manual(Audience::Staff);
        assert!(
            staff.sections.iter().flat_map(|s| &s.steps).any(|s| s.text.contains("電源")
                || s.steps.iter().any(|t| t.text.contains("電源"))),
            "the staff manual says what to do with the power"
        );
        let (manual, step) = playbooks
            .step("II-4-3-a")
            .expect("a nested step is found by id");
        assert_eq!(manual.audience, Audience::Planner);
        assert!(!step.text.is_empty());
        assert!(playbooks.step("II-99").is_none());
        assert!(playbooks.handler_step("II-4-3-a").is_some());
        assert!(playbooks.handler_step("I-2-1").is_some());
        assert!(playbooks.handler_step("III-2-2").is_some());
        assert!(
            playbooks.handler_step("III-1-1").is_none(),
            "体制整備 is not a step of one incident"
        );
        assert!(playbooks.handler_step("I-1-1").is_none());
        assert!(playbooks.staff_step("III-2-2-a").is_some());
        assert!(playbooks.vendor_step("IV-2-1-a").is_some());
        assert!(playbooks.vendor_step("IV-3-1-a").is_some());
        assert!(
            playbooks.vendor_step("IV-1-1-a").is_none(),
            "体制整備 is not a step of one incident"
        );
        assert!(playbooks.vendor_step("III-2-2-a").is_none());
        assert!(
            playbooks.staff_step("II-4-3-a").is_none(),
            "staff tick only their own manual"
        );
        assert!(
            playbooks.staff_step("III-3-1").is_none(),
            "not 再発防止 either"
        );
    }

    #[test]
    fn a_broken_catalog_names_the_step_and_the_reason() {
        let yaml = include_str!("../../../../catalogs/playbooks.yaml");
        let twice = yaml.replacen("id: \"I-1-2\"", "id: \"I-1-1\"", 1);
        let error = Playbooks::parse(&twice).expect_err("a duplicate id is refused");
        assert!(
            error.to_string().contains("I-1-1: id used twice"),
            "{error}"
        );
        let bad_phase = yaml.replacen("phase: prepare", "phase: later", 1);
        let error = Playbooks::parse(&bad_phase).expect_err("an unknown phase is refused");
        assert!(
            error.to_string().contains("phase: unknown \"later\""),
            "{error}"
        );
        let no_vendor = yaml.replacen("role: vendor", "role: planner", 1);
        assert!(Playbooks::parse(&no_vendor).is_err());
        let unknown_key = yaml.replacen(
            "    numeral: \"I\"\n",
            "    numeral: \"I\"\n    colour: red\n",
            1,
        );
        assert!(
            Playbooks::parse(&unknown_key).is_err(),
            "unknown fields are refused"
        );
    }
}
