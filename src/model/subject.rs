//! RBAC subjects as tenants write them: `group:NAME`, `user:NAME`,
//! `serviceaccount:NAMESPACE/NAME`.

use serde::Serialize;

/// A RoleBinding subject, serialized exactly as Kubernetes expects it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_group: Option<&'static str>,
}

impl Subject {
    /// Parse the short form; the error says what forms are accepted.
    pub fn parse(s: &str) -> Result<Subject, String> {
        const FORMS: &str = "expected group:NAME, user:NAME or serviceaccount:NAMESPACE/NAME";
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` has no kind prefix: {FORMS}"))?;
        if rest.is_empty() {
            return Err(format!("`{s}` has an empty name: {FORMS}"));
        }
        match kind {
            "group" => Ok(Subject {
                kind: "Group",
                name: rest.to_owned(),
                namespace: None,
                api_group: Some("rbac.authorization.k8s.io"),
            }),
            "user" => Ok(Subject {
                kind: "User",
                name: rest.to_owned(),
                namespace: None,
                api_group: Some("rbac.authorization.k8s.io"),
            }),
            "serviceaccount" => {
                let (ns, name) = rest
                    .split_once('/')
                    .filter(|(ns, name)| {
                        super::is_dns1123_label(ns) && super::is_dns1123_subdomain(name)
                    })
                    .ok_or_else(|| format!("`{s}` is not serviceaccount:NAMESPACE/NAME"))?;
                Ok(Subject {
                    kind: "ServiceAccount",
                    name: name.to_owned(),
                    namespace: Some(ns.to_owned()),
                    api_group: None,
                })
            }
            other => Err(format!("unknown subject kind `{other}`: {FORMS}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(Subject::parse("group:sre").map(|s| s.kind), Ok("Group"));
        assert_eq!(
            Subject::parse("user:ana@example.com").map(|s| s.name),
            Ok("ana@example.com".into())
        );
        let sa = Subject::parse("serviceaccount:ci/runner").expect("sa");
        assert_eq!(
            (sa.namespace.as_deref(), sa.name.as_str()),
            (Some("ci"), "runner")
        );
        assert!(Subject::parse("team:x").is_err());
        assert!(Subject::parse("serviceaccount:runner").is_err());
    }
}
