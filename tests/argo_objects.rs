//! The Argo objects of the example tree are what Argo CD and Argo Workflows accept: every
//! WorkflowTemplate, ApplicationSet, Application and AppProject validates strictly against
//! the vendored upstream CRDs, every `templateRef` resolves to a WorkflowTemplate in the same
//! namespace, a template inside it and the parameters it requires, and the pack's rules are
//! stamped on every workflow.

mod common;

use std::collections::BTreeMap;

use common::{repo_root, stderr, Estate};
use gitops_render::schema::crd;
use gitops_render::source::{parse_documents, parse_single, EstateFiles};
use serde_json::Value;

fn rendered() -> Vec<(String, Value)> {
    let files = EstateFiles::read_dir(&repo_root()).expect("estate");
    let tree = gitops_render::render_estate(&files, &[])
        .expect("renders")
        .tree;
    tree.files
        .iter()
        .map(|(p, b)| {
            (
                p.clone(),
                parse_single(&String::from_utf8_lossy(b)).expect("parses"),
            )
        })
        .collect()
}

fn validators() -> BTreeMap<(String, String), jsonschema::Validator> {
    let dir = repo_root().join("schemas/crds");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("schemas/crds") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        for (_, doc) in parse_documents(&text).expect("CRD parses") {
            for s in crd::from_crd(&doc) {
                let v = jsonschema::validator_for(&s.schema).expect("schema compiles");
                out.insert((s.api_version(), s.kind.clone()), v);
            }
        }
    }
    out
}

#[test]
fn argo_objects_validate_strictly_against_upstream_crds() {
    let validators = validators();
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for (path, obj) in rendered() {
        let api = obj["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = obj["kind"].as_str().unwrap_or_default().to_owned();
        let Some(v) = validators.get(&(api.clone(), kind.clone())) else {
            assert!(
                !api.starts_with("argoproj.io/"),
                "{path}: no CRD for {api} {kind}"
            );
            continue;
        };
        let errors: Vec<String> = v
            .iter_errors(&obj)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{path} is not a valid {kind}:\n{}",
            errors.join("\n")
        );
        *checked.entry(kind).or_default() += 1;
    }
    for kind in [
        "WorkflowTemplate",
        "ApplicationSet",
        "Application",
        "AppProject",
    ] {
        assert!(
            checked.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} was checked: {checked:?}"
        );
    }
}

#[test]
fn strict_crd_validation_catches_a_typo() {
    let validators = validators();
    let (_, mut wt) = rendered()
        .into_iter()
        .find(|(_, o)| o["kind"] == "WorkflowTemplate")
        .expect("a WorkflowTemplate");
    wt["spec"]["templates"][0]["contaner"] = serde_json::json!({"image": "x"});
    let v = &validators[&(
        "argoproj.io/v1alpha1".to_owned(),
        "WorkflowTemplate".to_owned(),
    )];
    assert!(!v.is_valid(&wt), "an unknown field must be rejected");
}

fn parameters_without_default(template: &Value) -> Vec<String> {
    template
        .pointer("/inputs/parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter(|p| p.get("value").is_none() && p.get("default").is_none())
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_template_ref_resolves_with_its_required_parameters() {
    let objects = rendered();
    let templates: BTreeMap<(String, String), &Value> = objects
        .iter()
        .filter(|(_, o)| o["kind"] == "WorkflowTemplate")
        .map(|(_, o)| {
            (
                (
                    o["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    o["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                o,
            )
        })
        .collect();
    let mut refs = 0;
    for ((ns, name), wt) in &templates {
        for t in wt["spec"]["templates"].as_array().into_iter().flatten() {
            let steps = t["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|g| g.as_array().into_iter().flatten());
            let tasks = t
                .pointer("/dag/tasks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for step in steps.chain(tasks) {
                let Some(r) = step.get("templateRef") else {
                    continue;
                };
                refs += 1;
                let target_name = r["name"].as_str().unwrap_or_default();
                let target = templates
                    .get(&(ns.clone(), target_name.to_owned()))
                    .unwrap_or_else(|| {
                        panic!("{ns}/{name}: templateRef {target_name} is not rendered in {ns}")
                    });
                let tmpl_name = r["template"].as_str().unwrap_or_default();
                let tmpl = target["spec"]["templates"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|x| x["name"] == tmpl_name)
                    .unwrap_or_else(|| {
                        panic!("{ns}/{name}: {target_name} has no template {tmpl_name}")
                    });
                let given: Vec<&str> = step
                    .pointer("/arguments/parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                for required in parameters_without_default(tmpl) {
                    assert!(
                        given.contains(&required.as_str()),
                        "{ns}/{name}: {target_name}.{tmpl_name} needs parameter {required}"
                    );
                }
            }
        }
    }
    assert!(
        refs >= 8,
        "expected the ci-pipelines and tiff-offsets v2 to use templateRef, found {refs}"
    );
}

#[test]
fn pack_rules_are_stamped_on_every_workflow() {
    let objects = rendered();
    for (path, wt) in objects
        .iter()
        .filter(|(_, o)| o["kind"] == "WorkflowTemplate")
    {
        let spec = &wt["spec"];
        assert_eq!(spec["serviceAccountName"], "argo-workflow", "{path}");
        assert_eq!(spec["retryStrategy"]["backoff"]["factor"], 2, "{path}");
        assert_eq!(spec["activeDeadlineSeconds"], 3600, "{path}");
        assert_eq!(spec["podGC"]["strategy"], "OnPodCompletion", "{path}");
        // The pack's parallelism (10), lowered to the pods the tier's quota holds at once.
        let parallelism = spec["parallelism"].as_u64().unwrap_or(0);
        assert!(
            spec["ttlStrategy"].is_object() && (1..=10).contains(&parallelism),
            "{path}"
        );
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true, "{path}");
        assert_eq!(
            spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
            "{path}"
        );
        // The pack's podSecurity exception (build-docker-image's `build` container) is the
        // only container that relaxes anything, and only what the annotation names.
        let relaxed = wt["metadata"]["annotations"]["gitops-render.dev/pod-security-exception"]
            .as_str()
            .unwrap_or_default();
        for t in spec["templates"].as_array().into_iter().flatten() {
            for key in ["container", "script"] {
                let Some(c) = t.get(key) else { continue };
                let sc = &c["securityContext"];
                assert_eq!(sc["readOnlyRootFilesystem"], true, "{path} {}", t["name"]);
                assert_eq!(sc["privileged"], false, "{path} {}", t["name"]);
                assert_eq!(sc["runAsNonRoot"], true, "{path} {}", t["name"]);
                if t["name"] == "build" && !relaxed.is_empty() {
                    assert_eq!(
                        relaxed, "allowPrivilegeEscalation, defaultCapabilities",
                        "{path}"
                    );
                    assert_eq!(sc["seccompProfile"]["type"], "Localhost", "{path}");
                    assert_eq!(sc["allowPrivilegeEscalation"], true, "{path}");
                    assert_eq!(sc["capabilities"], serde_json::json!({}), "{path}");
                    continue;
                }
                assert!(sc.get("seccompProfile").is_none(), "{path} {}", t["name"]);
                assert_eq!(
                    sc["allowPrivilegeEscalation"], false,
                    "{path} {}",
                    t["name"]
                );
                assert_eq!(
                    sc["capabilities"]["drop"],
                    serde_json::json!(["ALL"]),
                    "{path} {}",
                    t["name"]
                );
                assert!(
                    c["resources"]["limits"]["memory"].is_string(),
                    "{path} {}: resources",
                    t["name"]
                );
            }
        }
        let name = wt["metadata"]["name"].as_str().unwrap_or_default();
        let labels = &wt["metadata"]["labels"];
        let base = labels["workflows.gitops-render.dev/name"]
            .as_str()
            .unwrap_or_default();
        let version = labels["workflows.gitops-render.dev/version"]
            .as_str()
            .unwrap_or_default();
        let major = version.split('.').next().unwrap_or_default();
        // The stable name, or `-v<major>` for a second major in the same namespace.
        assert!(
            name == base || name == format!("{base}-v{major}"),
            "{path}: {name} for {base} {version}"
        );
        if name != base {
            let ns = wt["metadata"]["namespace"].as_str().unwrap_or_default();
            assert!(
                objects.iter().any(|(_, o)| o["kind"] == "WorkflowTemplate"
                    && o["metadata"]["namespace"] == ns
                    && o["metadata"]["name"] == base),
                "{path}: `{name}` without a stable `{base}` next to it"
            );
        }
    }
}

#[test]
fn required_workflow_is_in_every_tenant_namespace() {
    let objects = rendered();
    let namespaces: Vec<String> = objects
        .iter()
        .filter(|(_, o)| o["kind"] == "Namespace")
        .filter_map(|(_, o)| o["metadata"]["name"].as_str().map(str::to_owned))
        .collect();
    assert!(!namespaces.is_empty());
    for ns in namespaces {
        assert!(
            objects.iter().any(|(_, o)| o["kind"] == "WorkflowTemplate"
                && o["metadata"]["namespace"] == ns.as_str()
                && o["metadata"]["name"] == "file-transfer"),
            "{ns} lacks the required file-transfer workflow"
        );
    }
}

#[test]
fn argo_cd_objects_of_each_environment() {
    let objects: BTreeMap<String, Value> = rendered().into_iter().collect();
    for env in ["dev", "staging", "prod", "local"] {
        let appset = &objects[&format!("applicationsets/{env}.yaml")];
        let project = &objects[&format!("projects/{env}.yaml")];
        let root = &objects[&format!("parent/apps-root-{env}.yaml")];
        let repo = if env == "local" {
            "file:///workspace"
        } else {
            "https://github.com/example/platform-gitops.git"
        };

        assert_eq!(appset["spec"]["goTemplate"], true);
        assert_eq!(
            appset["spec"]["goTemplateOptions"],
            serde_json::json!(["missingkey=error"])
        );
        let paths: Vec<&str> = appset["spec"]["generators"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g.pointer("/git/directories/0/path").and_then(Value::as_str))
            .collect();
        assert_eq!(
            paths,
            [
                format!("gitops/{env}/tenants/*"),
                format!("gitops/{env}/workflows/*")
            ]
        );
        let tmpl = &appset["spec"]["template"]["spec"];
        assert_eq!(tmpl["source"]["repoURL"], repo);
        assert_eq!(tmpl["destination"]["namespace"], "{{.path.basename}}");
        assert_eq!(tmpl["project"], project["metadata"]["name"]);
        assert_eq!(
            tmpl["syncPolicy"]["automated"],
            serde_json::json!({"prune": true, "selfHeal": true})
        );
        let options = tmpl["syncPolicy"]["syncOptions"].to_string();
        assert!(
            !options.contains("CreateNamespace"),
            "{env}: the tree renders namespaces"
        );

        // The project admits exactly the environment's tenant namespaces and repo.
        let mut namespaces: Vec<String> = objects
            .iter()
            .filter(|(p, o)| p.starts_with(&format!("{env}/tenants/")) && o["kind"] == "Namespace")
            .filter_map(|(_, o)| o["metadata"]["name"].as_str().map(str::to_owned))
            .collect();
        namespaces.sort();
        let mut allowed: Vec<String> = project["spec"]["destinations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["namespace"].as_str().map(str::to_owned))
            .collect();
        allowed.sort();
        assert_eq!(allowed, namespaces, "{env}");
        assert_eq!(project["spec"]["sourceRepos"], serde_json::json!([repo]));

        assert_eq!(root["metadata"]["name"], format!("apps-root-{env}"));
        // Its project, its ApplicationSet, and itself (the root manages itself), retried.
        let sources: Vec<(String, String)> = root["spec"]["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                assert_eq!(s["repoURL"], repo);
                (
                    s["path"].as_str().unwrap_or_default().to_owned(),
                    s["directory"]["include"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        assert_eq!(
            sources,
            [
                ("gitops/projects".to_owned(), format!("{env}.yaml")),
                ("gitops/applicationsets".to_owned(), format!("{env}.yaml")),
                ("gitops/parent".to_owned(), format!("apps-root-{env}.yaml")),
            ]
        );
        assert!(objects.contains_key(&format!("parent/apps-root-{env}.yaml")));
        assert_eq!(root["spec"]["syncPolicy"]["retry"]["limit"], 5);
    }
    assert_eq!(
        objects["applicationsets/prod.yaml"]["spec"]["template"]["spec"]["source"]
            ["targetRevision"],
        "v2026.11.3"
    );
}

/// The pack's per-namespace workflow limit reaches every tenant Namespace as the label the
/// Argo Workflows controller reads; the per-workflow `parallelism` stays on each workflow.
#[test]
fn namespace_parallelism_is_the_label_argo_reads() {
    let objects = rendered();
    let namespaces: Vec<&Value> = objects
        .iter()
        .filter(|(p, _)| {
            p.contains("/tenants/")
                && p.ends_with(&format!(
                    "/namespace-{}.yaml",
                    p.split('/').nth(2).unwrap_or_default()
                ))
        })
        .map(|(_, v)| v)
        .collect();
    assert!(namespaces.len() >= 10, "{} namespaces", namespaces.len());
    for ns in namespaces {
        assert_eq!(
            ns["metadata"]["labels"]["workflows.argoproj.io/parallelism-limit"], "10",
            "{}",
            ns["metadata"]["name"]
        );
    }
    for (path, wf) in objects.iter().filter(|(p, _)| p.contains("/workflows/")) {
        // The pack's 10, lowered to what the tier's quota holds at once.
        let parallelism = wf["spec"]["parallelism"].as_u64().unwrap_or(0);
        assert!((1..=10).contains(&parallelism), "{path}");
    }
}

/// A tenant with the `istio` feature behind default-deny can still reach istiod for its
/// sidecars' configuration and certificates (port 15012), selected by namespace and pod
/// labels rather than by address.
#[test]
fn istio_tenants_reach_istiod() {
    let objects = rendered();
    let istio_namespaces: Vec<String> = objects
        .iter()
        .filter(|(_, v)| {
            v["kind"] == "Namespace" && v["metadata"]["labels"]["istio-injection"] == "enabled"
        })
        .map(|(_, v)| {
            v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(!istio_namespaces.is_empty());
    for ns in istio_namespaces {
        let reaches_istiod = objects.iter().any(|(_, v)| {
            v["kind"] == "NetworkPolicy"
                && v["metadata"]["namespace"] == ns.as_str()
                && v["spec"]["egress"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|rule| {
                        rule["to"][0]["namespaceSelector"]["matchLabels"]
                            ["kubernetes.io/metadata.name"]
                            == "istio-system"
                            && rule["to"][0]["podSelector"]["matchLabels"]["app"] == "istiod"
                            && rule["ports"][0]["port"] == 15012
                    })
        });
        assert!(reaches_istiod, "{ns} cannot reach istiod");
    }
}

/// Each tenant's workflow ServiceAccount carries its own IAM role (IRSA), templated from the
/// team and environment; prod's override names another account; local has none.
#[test]
fn workflow_service_accounts_carry_the_tenants_iam_role() {
    let objects = rendered();
    let role = |path: &str| {
        objects
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("{path} not rendered"))
            .1["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
            .clone()
    };
    assert_eq!(
        role("dev/tenants/data-dev/serviceaccount-argo-workflow.yaml"),
        "arn:aws:iam::111122223333:role/dev-data-workflows"
    );
    assert_eq!(
        role("prod/tenants/data-prod/serviceaccount-argo-workflow.yaml"),
        "arn:aws:iam::444455556666:role/prod-data-workflows"
    );
    assert_eq!(
        role("local/tenants/backend-local/serviceaccount-argo-workflow.yaml"),
        Value::Null
    );
}

/// The deployer Role is bound to the workflow ServiceAccount exactly where a tenant runs
/// `deploy-kubernetes`, and grants no delete and nothing on Secrets.
#[test]
fn deployer_role_only_where_deploy_kubernetes_runs() {
    let objects = rendered();
    let deploys_in = |ns: &str| {
        objects.iter().any(|(_, o)| {
            o["kind"] == "WorkflowTemplate"
                && o["metadata"]["namespace"] == ns
                && o["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("deploy-kubernetes"))
        })
    };
    let mut bound = 0;
    for (path, o) in &objects {
        if o["kind"] != "Namespace" {
            continue;
        }
        let ns = o["metadata"]["name"].as_str().expect("name");
        let binding = objects.iter().find(|(_, b)| {
            b["kind"] == "RoleBinding"
                && b["metadata"]["namespace"] == ns
                && b["roleRef"]["name"] == "workflow-deployer"
        });
        assert_eq!(binding.is_some(), deploys_in(ns), "{path}: {ns}");
        let Some((_, binding)) = binding else {
            continue;
        };
        bound += 1;
        assert_eq!(
            binding["subjects"],
            serde_json::json!([{"kind": "ServiceAccount", "name": "argo-workflow", "namespace": ns}])
        );
        let (_, role) = objects
            .iter()
            .find(|(_, r)| {
                r["kind"] == "Role"
                    && r["metadata"]["namespace"] == ns
                    && r["metadata"]["name"] == "workflow-deployer"
            })
            .expect("the bound Role is rendered");
        for rule in role["rules"].as_array().expect("rules") {
            let verbs = rule["verbs"].to_string();
            let resources = rule["resources"].to_string();
            assert!(!verbs.contains("delete") && !verbs.contains('*'), "{rule}");
            assert!(
                !resources.contains("secrets") && !resources.contains('*'),
                "{rule}"
            );
        }
    }
    assert!(bound > 0, "no tenant of the example estate deploys");
}

/// The estate's custom `tiff-offsets` 2.0.0 (`workflows/custom/`) serves prod, which is on
/// pack 1.1.0, next to the catalog's 1.0.0; the stable name stays with the catalog version
/// and the `workflow-policy` ConfigMap lists both.
#[test]
fn estate_custom_workflows_serve_every_pack_version() {
    let objects: BTreeMap<String, Value> = rendered().into_iter().collect();
    let v2 = &objects["prod/workflows/data-prod/workflowtemplate-tiff-offsets-v2.yaml"];
    assert_eq!(
        v2["metadata"]["labels"]["workflows.gitops-render.dev/version"],
        "2.0.0"
    );
    let v1 = &objects["prod/workflows/data-prod/workflowtemplate-tiff-offsets.yaml"];
    assert_eq!(
        v1["metadata"]["labels"]["workflows.gitops-render.dev/version"],
        "1.0.0"
    );
    let policy = &objects["prod/tenants/data-prod/configmap-workflow-policy.yaml"];
    let policy: Value = serde_json::from_str(policy["data"]["policy.json"].as_str().expect("json"))
        .expect("parses");
    assert_eq!(
        policy["versions"]["tiff-offsets"],
        serde_json::json!([
            {"version": "1.0.0", "workflowTemplate": "tiff-offsets", "custom": false},
            {"version": "2.0.0", "workflowTemplate": "tiff-offsets-v2", "custom": true},
        ])
    );
    assert_eq!(policy["workflowTemplates"]["tiff-offsets"], "tiff-offsets");
}

/// Namespaces whose tenant runs the image build enforce `baseline` (the pack's declared
/// exception, named on the Namespace) and still warn and audit at `restricted`; every other
/// tenant namespace enforces `restricted`.
#[test]
fn only_namespaces_that_build_enforce_baseline() {
    let objects = rendered();
    let builds_in = |ns: &str| {
        objects.iter().any(|(_, o)| {
            o["kind"] == "WorkflowTemplate"
                && o["metadata"]["namespace"] == ns
                && o["metadata"]["name"] == "build-docker-image"
        })
    };
    let mut lowered = 0;
    for (path, o) in objects.iter().filter(|(_, o)| o["kind"] == "Namespace") {
        let ns = o["metadata"]["name"].as_str().expect("name");
        let labels = &o["metadata"]["labels"];
        if labels["gitops-render.dev/network-profile"] != "isolated" {
            continue;
        }
        let exception = &o["metadata"]["annotations"]["gitops-render.dev/pod-security-exceptions"];
        if builds_in(ns) {
            lowered += 1;
            assert_eq!(
                labels["pod-security.kubernetes.io/enforce"], "baseline",
                "{path}"
            );
            assert_eq!(exception, "build-docker-image", "{path}");
        } else {
            assert_eq!(
                labels["pod-security.kubernetes.io/enforce"], "restricted",
                "{path}"
            );
            assert!(exception.is_null(), "{path}");
        }
        assert_eq!(
            labels["pod-security.kubernetes.io/warn"], "restricted",
            "{path}"
        );
        assert_eq!(
            labels["pod-security.kubernetes.io/audit"], "restricted",
            "{path}"
        );
    }
    assert!(lowered > 0);
}

/// Tenants with `backstage: true` get a Backstage Resource for their namespace, outside the
/// folders Argo CD syncs, annotated with the namespace and exactly the WorkflowTemplates in
/// it; the others get none.
#[test]
fn backstage_entities_name_the_namespace_and_its_workflow_templates() {
    let objects = rendered();
    let mut seen = 0;
    for (_, ns) in objects.iter().filter(|(_, o)| o["kind"] == "Namespace") {
        let ns = ns["metadata"]["name"].as_str().expect("name");
        let env = ns.rsplit('-').next().expect("env");
        let entity = objects
            .iter()
            .find(|(p, _)| *p == format!("{env}/backstage/{ns}/resource-{ns}.yaml"));
        let team = ns.strip_suffix(&format!("-{env}")).expect("team");
        assert_eq!(
            entity.is_some(),
            ["backend", "frontend"].contains(&team),
            "{ns}"
        );
        let Some((_, e)) = entity else { continue };
        seen += 1;
        assert_eq!(e["apiVersion"], "backstage.io/v1alpha1");
        assert_eq!(e["spec"]["type"], "kubernetes-namespace");
        assert_eq!(e["spec"]["owner"], format!("group:{team}-devs"));
        let a = &e["metadata"]["annotations"];
        assert_eq!(a["backstage.io/kubernetes-namespace"], ns);
        assert_eq!(a["argo-workflows.io/namespace"], ns);
        let mut templates: Vec<&str> = objects
            .iter()
            .filter(|(_, o)| o["kind"] == "WorkflowTemplate" && o["metadata"]["namespace"] == ns)
            .filter_map(|(_, o)| o["metadata"]["name"].as_str())
            .collect();
        templates.sort_unstable();
        assert_eq!(
            a["argo-workflows.io/workflow-templates"],
            templates.join(","),
            "{ns}"
        );
    }
    assert_eq!(seen, 8, "backend and frontend in four environments");
}

/// A tenant template that adds a kind needs no edit of the AppProject: the project
/// whitelists the kinds the templates write, and Argo CD admits the new objects.
#[test]
fn a_new_template_kind_is_whitelisted_in_the_appproject() {
    let e = Estate::example();
    e.write(
        "templates/tenant/pdb.yaml.j2",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: workflows\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {app.kubernetes.io/part-of: workflows}\n",
    );
    let out = e.run(&["render", "--env", "dev"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let project: serde_json::Value =
        gitops_render::source::parse_single(&e.read("gitops/projects/dev.yaml")).expect("yaml");
    let kinds: Vec<String> = project["spec"]["namespaceResourceWhitelist"]
        .as_array()
        .expect("whitelist")
        .iter()
        .map(|k| {
            format!(
                "{}/{}",
                k["group"].as_str().unwrap_or(""),
                k["kind"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        kinds.contains(&"policy/PodDisruptionBudget".to_owned()),
        "{kinds:?}"
    );
    assert_eq!(
        project["spec"]["clusterResourceWhitelist"],
        serde_json::json!([{"group": "", "kind": "Namespace"}])
    );

    // A kind the templates compute is not seen: the project refuses it, and render's lint
    // says so before anything is written.
    let e = Estate::example();
    e.write(
        "templates/tenant/pdb.yaml.j2",
        "apiVersion: policy/v1\nkind: {{ 'PodDisruption' ~ 'Budget' }}\nmetadata:\n  name: workflows\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {app.kubernetes.io/part-of: workflows}\n",
    );
    let out = e.run(&["render", "--env", "dev"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!e
        .path()
        .join("gitops/dev/tenants/backend-dev/poddisruptionbudget-workflows.yaml")
        .exists());
    assert!(
        err.contains("under AppProject `platform-dev`: resource policy/PodDisruptionBudget is not in its namespaceResourceWhitelist"),
        "{err}"
    );
}
