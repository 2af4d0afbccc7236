//! Routing: which table a record belongs to, from `record_type`, `alert`, `alert_type` and `type`.
//!
//! The rules, applied in order with case-insensitive values (documented in `docs/schema.md`):
//!
//! 1. `record_type` `alert` / `audit` / `incident` / `epdlp` or `endpoint` / `infrastructure`
//!    names the table outright.
//! 2. `alert` truthy (`"yes"`, `"true"`, `true`) **and** a non-empty `alert_type` -> alerts.
//!    (V1 alerts have `type` `nspolicy` like application events; application events may carry
//!    `alert: "yes"` without an `alert_type`, and stay application events.)
//! 3. `record_type` `application` / `page` or `connection` / `network`.
//! 4. `type`: `admin_audit_logs` -> audit, `nspolicy` -> application, `connection` -> page,
//!    `network` -> network, the alert kinds (`policy`, `dlp`, `malware`, `malsite`, `anomaly`,
//!    `uba`, `breach`, `compromised credential`, `watchlist`, ...) -> alerts, and the table names.
//! 5. No `type` and no `record_type`, but `dlp_match_info` or `dlp_incident_id`: an incident.
//! 6. Anything else -> `netskope_unknown`.

use crate::schema::Table;

/// The routing-relevant values of one record (string contents, unescaped).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RouteKeys<'a> {
    pub type_: Option<&'a [u8]>,
    pub record_type: Option<&'a [u8]>,
    pub alert: Option<Truthy>,
    pub alert_type: Option<&'a [u8]>,
    pub has_incident_fields: bool,
}

/// The `alert` flag as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truthy {
    Yes,
    No,
}

impl Truthy {
    pub fn from_str_bytes(s: &[u8]) -> Truthy {
        let s = s.trim_ascii();
        if s.eq_ignore_ascii_case(b"yes") || s.eq_ignore_ascii_case(b"true") || s == b"1" {
            Truthy::Yes
        } else {
            Truthy::No
        }
    }
}

/// Rule 1: `record_type` values that name a table outright.
const SPECIFIC_RECORD_TYPES: &[(&[&str], Table)] = &[
    (&["alert", "alerts"], Table::Alerts),
    (&["audit"], Table::Audit),
    (&["incident"], Table::Incident),
    (&["epdlp", "endpoint"], Table::Endpoint),
    (&["infrastructure"], Table::Infrastructure),
];

/// Rule 3: `record_type` values of event tables that alerts may share.
const GENERAL_RECORD_TYPES: &[(&[&str], Table)] = &[
    (&["application"], Table::Application),
    (&["page", "connection"], Table::Page),
    (&["network"], Table::Network),
];

/// Rule 4: `type` values.
const TYPES: &[(&[&str], Table)] = &[
    (&["admin_audit_logs", "audit"], Table::Audit),
    (&["nspolicy", "application"], Table::Application),
    (&["connection", "page"], Table::Page),
    (&["network"], Table::Network),
    (&["incident"], Table::Incident),
    (&["endpoint", "epdlp"], Table::Endpoint),
    (&["infrastructure"], Table::Infrastructure),
    (
        &[
            "alert",
            "alerts",
            "policy",
            "dlp",
            "malware",
            "malsite",
            "anomaly",
            "uba",
            "breach",
            "compromised credential",
            "compromisedcredential",
            "compromised_credential",
            "watchlist",
            "quarantine",
            "remediation",
            "securityassessment",
            "security assessment",
            "ctep",
            "ips",
            "c2",
            "device",
            "content",
        ],
        Table::Alerts,
    ),
];

fn lookup(value: Option<&[u8]>, rules: &[(&[&str], Table)]) -> Option<Table> {
    let v = value?.trim_ascii();
    rules
        .iter()
        .find(|(words, _)| words.iter().any(|w| v.eq_ignore_ascii_case(w.as_bytes())))
        .map(|&(_, t)| t)
}

/// Picks the table for a record.
pub(crate) fn route(k: &RouteKeys<'_>) -> Table {
    if let Some(t) = lookup(k.record_type, SPECIFIC_RECORD_TYPES) {
        return t;
    }
    if k.alert == Some(Truthy::Yes) && k.alert_type.is_some_and(|t| !t.trim_ascii().is_empty()) {
        return Table::Alerts;
    }
    if let Some(t) = lookup(k.record_type, GENERAL_RECORD_TYPES).or_else(|| lookup(k.type_, TYPES))
    {
        return t;
    }
    if k.type_.is_none() && k.record_type.is_none() && k.has_incident_fields {
        return Table::Incident;
    }
    Table::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<'a>(
        t: Option<&'a str>,
        rt: Option<&'a str>,
        alert: Option<&str>,
        at: Option<&'a str>,
    ) -> RouteKeys<'a> {
        RouteKeys {
            type_: t.map(str::as_bytes),
            record_type: rt.map(str::as_bytes),
            alert: alert.map(|a| Truthy::from_str_bytes(a.as_bytes())),
            alert_type: at.map(str::as_bytes),
            has_incident_fields: false,
        }
    }

    #[test]
    fn v1_alert_is_nspolicy_with_alert_yes() {
        let k = keys(Some("nspolicy"), None, Some("yes"), Some("policy"));
        assert_eq!(route(&k), Table::Alerts);
        let k = keys(Some("nspolicy"), None, Some("no"), Some(""));
        assert_eq!(route(&k), Table::Application);
        let k = keys(Some("nspolicy"), None, Some("yes"), None);
        assert_eq!(route(&k), Table::Application);
    }

    #[test]
    fn record_type_wins_for_specific_tables() {
        assert_eq!(
            route(&keys(
                Some("anomaly"),
                Some("epdlp"),
                Some("no"),
                Some("policy")
            )),
            Table::Endpoint
        );
        assert_eq!(
            route(&keys(Some("breach"), Some("Alert"), Some("yes"), None)),
            Table::Alerts
        );
        assert_eq!(
            route(&keys(Some("breach"), Some("network"), None, None)),
            Table::Network
        );
        assert_eq!(
            route(&keys(
                Some("anomaly"),
                Some("page"),
                Some("yes"),
                Some("policy")
            )),
            Table::Alerts
        );
        assert_eq!(
            route(&keys(None, Some("incident"), None, None)),
            Table::Incident
        );
    }

    #[test]
    fn types_and_fallbacks() {
        assert_eq!(
            route(&keys(Some("ADMIN_AUDIT_LOGS"), None, None, None)),
            Table::Audit
        );
        assert_eq!(
            route(&keys(Some("connection"), None, None, None)),
            Table::Page
        );
        assert_eq!(
            route(&keys(Some("Malware"), None, None, None)),
            Table::Alerts
        );
        assert_eq!(
            route(&keys(Some("something_new"), None, None, None)),
            Table::Unknown
        );
        let mut k = keys(None, None, None, None);
        assert_eq!(route(&k), Table::Unknown);
        k.has_incident_fields = true;
        assert_eq!(route(&k), Table::Incident);
    }
}
