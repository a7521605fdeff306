//! One tenant of one environment: its merged entry checked, then resolved step by step
//! against the pack — tier, network profile, features, workflows, roles, namespace — into a
//! [`TenantPlan`]. Every step reports all it finds before the tenant is refused, so one run
//! names every problem of the entry.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{did_you_mean, Diagnostic, Diagnostics};
use crate::inputs::{Inputs, PackInput};
use crate::model::{dns1123_problem, Feature, NetworkProfile, PackSpec, Subject, TenantSpec, Tier};
use crate::render::Frozen;
use crate::schema::{self, InputSchema};
use crate::source::{pointer_push, Target};

use super::overlay::Layered;
use super::plan::{NetworkPlan, PodSecurityExceptionPlan, PodSecurityPlan, RolePlan, TenantPlan};
use super::shared::Shared;
use super::workflows::{self, WorkflowPlan};
use super::{error_in, expand_naming, locate, WORKFLOW_ROLE};

/// What every tenant of an environment is resolved against.
pub(super) struct EnvContext<'a> {
    pub inputs: &'a Inputs,
    /// The environment's name.
    pub name: &'a str,
    pub pack: &'a PackInput,
    /// The pack's spec after the environment's overrides.
    pub spec: &'a PackSpec,
    pub pack_layers: &'a Layered,
    /// Keep each tenant's layers (where its values came from).
    pub provenance: bool,
    /// Reserved: no tenant may live in Argo CD's namespace.
    pub argocd_namespace: &'a str,
    /// Plan parts equal across the environment's tenants, held once.
    pub shared: Shared,
}

/// A tenant being resolved: its team, its merged entry with where each value came from, and
/// every tenant's entries (to point at the team's key).
struct Entry<'a> {
    team: &'a str,
    layers: &'a Layered,
    all_tenants: &'a Layered,
}

impl Entry<'_> {
    /// `d` at `pointer` of the tenant's entry.
    fn at(&self, inputs: &Inputs, pointer: &str, target: Target, d: Diagnostic) -> Diagnostic {
        error_in(inputs, self.layers, pointer, target, d)
    }

    /// `d` at the team's key.
    fn at_team(&self, inputs: &Inputs, d: Diagnostic) -> Diagnostic {
        let team = pointer_push("", self.team);
        error_in(inputs, self.all_tenants, &team, Target::Key, d)
    }
}

impl EnvContext<'_> {
    /// Resolve tenant `team` from its merged entry `layers`.
    pub fn tenant(
        &self,
        team: &str,
        layers: Layered,
        all_tenants: &Layered,
    ) -> Result<TenantPlan, Diagnostics> {
        let entry = Entry {
            team,
            layers: &layers,
            all_tenants,
        };
        let spec = self.checked_spec(&entry)?;
        let mut diags = Diagnostics::new();
        let tier = self.tier(&entry, &spec, &mut diags);
        let profile = self.network_profile(&entry, &spec, &mut diags);
        let features = self.features(&entry, &spec, &mut diags);
        let workflow_templates = match workflows::select(
            self.inputs,
            self.pack,
            self.spec.workflows.as_ref(),
            &spec.workflows,
            &layers,
        ) {
            Ok(w) => w,
            Err(d) => {
                diags.extend(d);
                Vec::new()
            }
        };
        let mut roles = self.roles(&entry, &spec, &workflow_templates, &mut diags);
        let namespace = self.namespace(&entry, &spec, &mut diags);
        let (Some(tier), Some(profile), true) = (tier, profile, diags.is_empty()) else {
            return Err(diags);
        };
        for role in &mut roles {
            for s in &mut role.subjects {
                if s.kind == "ServiceAccount" && s.namespace.is_none() {
                    s.namespace = Some(namespace.clone());
                }
            }
        }
        let namespace_labels = features
            .iter()
            .flat_map(|f| f.namespace_labels.clone())
            .collect();
        Ok(TenantPlan {
            team: team.to_owned(),
            explicit_namespace: spec.namespace.is_some(),
            namespace,
            network: self.shared.networks.share(Frozen::new(self.network(
                &spec,
                profile,
                &features,
                &workflow_templates,
            ))),
            tier,
            namespace_labels,
            roles,
            workflow_policy: self.spec.workflows.as_ref().map(|wf| {
                self.shared
                    .policies
                    .share(Frozen::new(workflows::policy(wf, &workflow_templates)))
            }),
            pod_security: self.pod_security(profile, &workflow_templates),
            workflow_templates,
            spec,
            provenance: if self.provenance {
                layers
            } else {
                Layered::default()
            },
        })
    }

    /// The entry as a [`TenantSpec`]: a DNS-1123 team name, the tenant schema, and the keys
    /// that have no default in the schema but must be set (by the tenant or the pack's
    /// `tenantDefaults`).
    fn checked_spec(&self, entry: &Entry<'_>) -> Result<TenantSpec, Diagnostics> {
        let (inputs, team) = (self.inputs, entry.team);
        if let Some(problem) = dns1123_problem(team) {
            let d = Diagnostic::error("invalid-name", format!("team name `{team}` is not a DNS-1123 label: {problem}"))
                .help("team names become namespace names and labels: lowercase letters, digits and '-', at most 63");
            return Err(entry.at_team(inputs, d).into());
        }
        let mut diags = Diagnostics::new();
        for v in schema::validate(InputSchema::Tenant, &entry.layers.value) {
            let mut d = Diagnostic::error(
                v.code,
                format!("tenant `{team}` in `{}`: {}", self.name, v.message),
            );
            if let Some(h) = v.help {
                d = d.help(h);
            }
            let d = match locate(inputs, entry.layers, &v.pointer, v.target) {
                Some(loc) if !v.pointer.is_empty() => d.at(loc),
                _ => entry.at_team(inputs, d),
            };
            diags.push(d.help("set it for the tenant or in the pack's tenantDefaults"));
        }
        for field in ["tier", "networkProfile"] {
            if entry.layers.value.get(field).is_none() {
                let d = Diagnostic::error(
                    "missing-key",
                    format!("tenant `{team}` in `{}` has no `{field}`", self.name),
                )
                .help(format!(
                    "set `{field}` for the tenant or in the pack's tenantDefaults"
                ));
                diags.push(entry.at_team(inputs, d));
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        serde_json::from_value(entry.layers.value.clone()).map_err(|e| {
            let d = Diagnostic::error("invalid-value", format!("tenant `{team}`: {e}"));
            Diagnostics::from(entry.at_team(inputs, d))
        })
    }

    /// The pack's definition of the tenant's choice `value` (at `pointer` of its entry)
    /// among `defined`; a choice the pack does not define is reported with what it does
    /// define.
    fn choose<'s, T>(
        &self,
        entry: &Entry<'_>,
        defined: &'s BTreeMap<String, T>,
        (pointer, what, value): (&str, &str, &str),
        diags: &mut Diagnostics,
    ) -> Option<&'s T> {
        if let Some(found) = defined.get(value) {
            return Some(found);
        }
        let known: Vec<&str> = defined.keys().map(String::as_str).collect();
        let mut d = Diagnostic::error(
            "unknown-choice",
            format!(
                "{what} `{value}` is not defined by pack {}",
                self.pack.label()
            ),
        )
        .note(if known.is_empty() {
            format!("the pack defines no {what}s")
        } else {
            format!("the pack defines: {}", known.join(", "))
        });
        if let Some(s) = did_you_mean(value, known.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        diags.push(entry.at(self.inputs, pointer, Target::Value, d));
        None
    }

    /// The tenant's tier (limits default to the requests), if the pack defines it and the
    /// environment allows it.
    fn tier(&self, entry: &Entry<'_>, spec: &TenantSpec, diags: &mut Diagnostics) -> Option<Tier> {
        let pack = self.spec;
        let choice = ("/tier", "tier", spec.tier.as_str());
        let mut tier = self.choose(entry, &pack.tiers, choice, diags)?.clone();
        let limits = tier.limits.get_or_insert_with(Default::default);
        limits.cpu.get_or_insert_with(|| tier.cpu.clone());
        limits.memory.get_or_insert_with(|| tier.memory.clone());
        let allowed = pack
            .environments
            .get(self.name)
            .and_then(|r| r.allowed_tiers.as_ref());
        if let Some(allowed) = allowed.filter(|a| !a.contains(&spec.tier)) {
            let d = Diagnostic::error(
                "tier-not-allowed",
                format!("tier `{}` is not allowed in `{}`", spec.tier, self.name),
            )
            .note(format!(
                "pack {} allows in `{}`: {}",
                self.pack.label(),
                self.name,
                allowed.join(", ")
            ));
            diags.push(entry.at(self.inputs, "/tier", Target::Value, d));
        }
        Some(tier)
    }

    /// The tenant's network profile, if the pack defines it; the environment may require
    /// one.
    fn network_profile<'s>(
        &'s self,
        entry: &Entry<'_>,
        spec: &TenantSpec,
        diags: &mut Diagnostics,
    ) -> Option<&'s NetworkProfile> {
        let pack = self.spec;
        let choice = (
            "/networkProfile",
            "network profile",
            spec.network_profile.as_str(),
        );
        let profile = self.choose(entry, &pack.network_profiles, choice, diags)?;
        let required = pack
            .environments
            .get(self.name)
            .and_then(|r| r.require_network_profile.as_ref());
        if let Some(required) = required.filter(|r| spec.network_profile != **r) {
            let d = Diagnostic::error(
                "network-profile-required",
                format!(
                    "`{}` requires network profile `{required}`, tenant `{}` uses `{}`",
                    self.name, entry.team, spec.network_profile
                ),
            );
            diags.push(entry.at(self.inputs, "/networkProfile", Target::Value, d));
        }
        Some(profile)
    }

    /// The pack's features the tenant turns on, in the tenant's order.
    fn features<'s>(
        &'s self,
        entry: &Entry<'_>,
        spec: &TenantSpec,
        diags: &mut Diagnostics,
    ) -> Vec<&'s Feature> {
        let mut features = Vec::new();
        for (i, f) in spec.features.iter().enumerate() {
            let pointer = format!("/features/{i}");
            let choice = (pointer.as_str(), "feature", f.as_str());
            features.extend(self.choose(entry, &self.spec.features, choice, diags));
        }
        features
    }

    /// The Roles to create and bind, sorted by name: the tenant's `owners`, and the roles
    /// bound to the workflow ServiceAccount — always the executor role, and the roles the
    /// catalog entries of the tenant's workflows ask for (`serviceAccountRoles`: a deploy
    /// workflow needs to apply and watch objects, which no other workflow may). The
    /// ServiceAccount's namespace is the tenant's, filled in once known.
    fn roles(
        &self,
        entry: &Entry<'_>,
        spec: &TenantSpec,
        workflow_templates: &[WorkflowPlan],
        diags: &mut Diagnostics,
    ) -> Vec<RolePlan> {
        let pack = self.spec;
        let mut roles = Vec::new();
        for (role, subjects) in &spec.owners {
            let role_ptr = pointer_push("/owners", role);
            let choice = (role_ptr.as_str(), "role", role.as_str());
            let Some(rules) = self.choose(entry, &pack.rbac.roles, choice, diags) else {
                continue;
            };
            let mut parsed = Vec::new();
            for (i, s) in subjects.iter().enumerate() {
                match Subject::parse(s) {
                    Ok(sub) => parsed.push(sub),
                    Err(msg) => diags.push(entry.at(
                        self.inputs,
                        &format!("{role_ptr}/{i}"),
                        Target::Value,
                        Diagnostic::error("invalid-subject", msg),
                    )),
                }
            }
            roles.push(RolePlan {
                name: role.clone(),
                rules: rules.clone(),
                subjects: parsed,
            });
        }
        for role in self.service_account_roles(workflow_templates, diags) {
            let service_account = Subject {
                kind: "ServiceAccount",
                name: pack.rbac.workflow_service_account.clone(),
                namespace: None,
                api_group: None,
            };
            match roles.iter_mut().find(|r| r.name == role) {
                Some(r) => r.subjects.insert(0, service_account),
                None => roles.push(RolePlan {
                    name: role.to_owned(),
                    rules: pack.rbac.roles[role].clone(),
                    subjects: vec![service_account],
                }),
            }
        }
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        roles
    }

    /// The roles bound to the workflow ServiceAccount (each defined by `rbac.roles`).
    fn service_account_roles<'s>(
        &'s self,
        workflow_templates: &[WorkflowPlan],
        diags: &mut Diagnostics,
    ) -> BTreeSet<&'s str> {
        let pack = self.spec;
        let mut sa_roles = BTreeSet::new();
        if let Some((name, _)) = pack.rbac.roles.get_key_value(WORKFLOW_ROLE) {
            sa_roles.insert(name.as_str());
        }
        let Some(wf) = &pack.workflows else {
            return sa_roles;
        };
        for plan in workflow_templates.iter().filter(|p| !p.custom) {
            let asked = wf
                .catalog
                .get(&plan.name)
                .map(|e| e.service_account_roles.as_slice())
                .unwrap_or_default();
            for role in asked {
                if let Some((name, _)) = pack.rbac.roles.get_key_value(role) {
                    sa_roles.insert(name.as_str());
                    continue;
                }
                let pointer = format!(
                    "{}/serviceAccountRoles",
                    pointer_push("/workflows/catalog", &plan.name)
                );
                let d = Diagnostic::error(
                    "unknown-role",
                    format!(
                        "catalog workflow `{}` asks for role `{role}`, which rbac.roles does not define",
                        plan.name
                    ),
                );
                diags.push(error_in(
                    self.inputs,
                    self.pack_layers,
                    &pointer,
                    Target::Value,
                    d,
                ));
            }
        }
        sa_roles
    }

    /// The tenant's namespace: its own `namespace:`, else the pack's naming rule; a DNS-1123
    /// label, and not reserved.
    fn namespace(&self, entry: &Entry<'_>, spec: &TenantSpec, diags: &mut Diagnostics) -> String {
        let (inputs, team) = (self.inputs, entry.team);
        let naming = &self.spec.naming;
        let at_rule = |d| {
            error_in(
                inputs,
                self.pack_layers,
                "/naming/namespace",
                Target::Value,
                d,
            )
        };
        let namespace = match &spec.namespace {
            Some(ns) => {
                if let Some(problem) = dns1123_problem(ns) {
                    let d = Diagnostic::error(
                        "invalid-name",
                        format!("namespace `{ns}` is not a DNS-1123 label: {problem}"),
                    );
                    diags.push(entry.at(inputs, "/namespace", Target::Value, d));
                }
                ns.clone()
            }
            None => match expand_naming(&naming.namespace, team, self.name) {
                Ok(ns) => {
                    if let Some(problem) = dns1123_problem(&ns) {
                        diags.push(at_rule(Diagnostic::error(
                            "invalid-name",
                            format!(
                                "namespace `{ns}` (naming rule `{}` for team `{team}` in `{}`) is not a DNS-1123 label: {problem}",
                                naming.namespace, self.name
                            ),
                        )));
                    }
                    ns
                }
                Err(msg) => {
                    diags.push(at_rule(Diagnostic::error("invalid-naming-rule", msg)));
                    String::new()
                }
            },
        };
        if let Some(pattern) =
            crate::model::reserved_by(&namespace, self.argocd_namespace, &naming.reserved)
        {
            let d = Diagnostic::error(
                "reserved-namespace",
                format!(
                    "tenant `{team}` in `{}` would get namespace `{namespace}`, which is reserved (`{pattern}`)",
                    self.name
                ),
            )
            .help("reserved: default, kube-*, the Argo namespaces, the environment's argocd.namespace and the pack's naming.reserved; give the tenant another `namespace:`");
            diags.push(match spec.namespace {
                Some(_) => entry.at(inputs, "/namespace", Target::Value, d),
                None => entry.at_team(inputs, d),
            });
        }
        namespace
    }

    /// The network policies: the profile, what the tenant's catalog workflows need to reach
    /// (in workflow order), and what its features add.
    fn network(
        &self,
        spec: &TenantSpec,
        profile: &NetworkProfile,
        features: &[&Feature],
        workflow_templates: &[WorkflowPlan],
    ) -> NetworkPlan {
        let mut ingress: BTreeSet<String> = profile
            .allow_ingress_from_namespaces
            .iter()
            .cloned()
            .collect();
        let mut egress = profile.egress.clone();
        if let Some(wf) = &self.spec.workflows {
            for p in workflow_templates.iter().filter(|p| !p.custom) {
                if let Some(entry) = wf.catalog.get(&p.name) {
                    egress.extend(entry.egress.iter().cloned());
                }
            }
        }
        for f in features {
            ingress.extend(f.allow_ingress_from_namespaces.iter().cloned());
            egress.extend(f.egress.iter().cloned());
        }
        NetworkPlan {
            profile: spec.network_profile.clone(),
            default_deny: profile.default_deny,
            allow_dns: profile.allow_dns,
            allow_same_namespace: profile.allow_same_namespace,
            ingress_from_namespaces: ingress.into_iter().collect(),
            egress,
            pod_security: profile.pod_security.clone(),
        }
    }

    /// The Namespace's Pod Security levels: the profile's, lowered only by the exceptions
    /// the catalog declares for workflows the tenant runs.
    fn pod_security(
        &self,
        profile: &NetworkProfile,
        workflow_templates: &[WorkflowPlan],
    ) -> Option<PodSecurityPlan> {
        let level = profile.pod_security.as_deref()?;
        let catalog = self.spec.workflows.as_ref().map(|w| &w.catalog);
        let exceptions = workflow_templates
            .iter()
            .filter(|p| !p.custom)
            .filter_map(|p| {
                let e = catalog?.get(&p.name)?.pod_security.as_ref()?;
                Some(PodSecurityExceptionPlan {
                    workflow: p.name.clone(),
                    level: e.level.clone(),
                    reason: e.reason.clone(),
                })
            })
            .collect();
        Some(PodSecurityPlan::new(level, exceptions))
    }
}
