//! Incidents (issue #12): the four incident manuals as playbooks, and the
//! legal deadlines of a personal-data incident, and the report anyone sends
//! when something is wrong (不具合発生報告書).

pub mod contact;
pub mod deadline;
pub mod meeting;
pub mod notice;
pub mod playbook;
pub mod report;
pub mod status;
pub mod task;
