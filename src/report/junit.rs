//! JUnit XML: one test suite, one test case per rule that ran; a rule with error findings
//! fails, with every finding in the failure text.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::diagnostic::Severity;
use crate::lint::{Finding, RULES};

pub fn render(findings: &[Finding]) -> String {
    let mut suite = TestSuite::new("gitops-render lint");
    for rule in RULES {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule.id).collect();
        let failing = mine.iter().any(|f| f.severity == Severity::Error);
        let status = if failing {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("{} finding(s)", mine.len()));
            let text: Vec<String> = mine
                .iter()
                .map(|f| format!("{}: {}", f.location, f.message))
                .collect();
            s.set_description(text.join("\n"));
            s
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(rule.id, status);
        // Warnings and notes do not fail a case: they are its output, so dashboards show them.
        let others: Vec<String> = mine
            .iter()
            .filter(|f| f.severity != Severity::Error)
            .map(|f| format!("{}: {}: {}", f.severity, f.location, f.message))
            .collect();
        if !others.is_empty() {
            case.set_system_out(others.join("\n"));
        }
        case.set_classname(format!("gitops-render.{}", rule.family));
        suite.add_test_case(case);
    }
    let mut report = Report::new("gitops-render");
    report.add_test_suite(suite);
    let xml = report.to_string().unwrap_or_default();
    without_suites_skipped(&xml)
}

/// The common JUnit schema (Jenkins' junit-4.xsd, which CI tools validate against) allows
/// no `skipped` count on `<testsuites>`; quick-junit writes one. Nothing is ever skipped here.
fn without_suites_skipped(xml: &str) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml.to_owned();
    };
    let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
    let tag = &xml[start..end];
    match tag.find(" skipped=\"") {
        Some(at) => {
            let value_end = tag[at + 10..]
                .find('"')
                .map_or(tag.len(), |e| at + 10 + e + 1);
            format!("{}{}{}", &xml[..start + at], &tag[value_end..], &xml[end..])
        }
        None => xml.to_owned(),
    }
}
