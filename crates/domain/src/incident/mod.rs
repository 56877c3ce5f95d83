//! Incidents (issue #12): the four incident manuals as playbooks, and the
//! legal deadlines of a personal-data incident.

pub mod deadline;
pub mod playbook;
