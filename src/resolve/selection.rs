//! What a command asks of the estate: which environments, which of their tenants, which pack
//! version, and whether to keep where each value came from. Every command resolves through
//! one [`super::resolve`] with one of these, instead of one function per combination.

use std::collections::BTreeSet;

/// The slice of the estate a command resolves and renders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Environments by name; all of them when empty.
    pub environments: Vec<String>,
    pub tenants: Tenants,
    /// A pack version every environment is pinned to instead of its own (`diff --pack`: the
    /// blast radius of a release before any environment adopts it).
    pub pack_pin: Option<String>,
    /// Keep, for every tenant, where each of its values came from (`explain`, the plugin's
    /// slice). A quarter of the plan of a large estate, which rendering never reads.
    pub provenance: bool,
}

/// Which tenants of each selected environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Tenants {
    #[default]
    All,
    /// One tenant, by team name or namespace (the plugin's slice). The cost grows with the
    /// slice, not with the estate: only that tenant's entries are merged.
    Named(String),
    /// These teams, those an environment has (a diff's changed tenants). With no team, the
    /// environments' settings and merged pack alone (what the lint configuration needs).
    Teams(BTreeSet<String>),
}

impl Selection {
    /// The environments `names` (all when empty), every tenant, their own pack pins.
    pub fn environments(names: &[String]) -> Selection {
        Selection {
            environments: names.to_vec(),
            ..Selection::default()
        }
    }

    /// One environment.
    pub fn environment(name: &str) -> Selection {
        Selection::environments(std::slice::from_ref(&name.to_owned()))
    }

    /// Pinned to `pin` when one is given.
    pub fn pinned(self, pin: Option<&str>) -> Selection {
        Selection {
            pack_pin: pin.map(str::to_owned),
            ..self
        }
    }

    /// Only the tenant `tenant` names, when it names one.
    pub fn tenant(self, tenant: Option<&str>) -> Selection {
        Selection {
            tenants: tenant.map_or(Tenants::All, |t| Tenants::Named(t.to_owned())),
            ..self
        }
    }

    /// Only these teams.
    pub fn teams(self, teams: BTreeSet<String>) -> Selection {
        Selection {
            tenants: Tenants::Teams(teams),
            ..self
        }
    }

    /// No tenant: the environments' settings and merged pack.
    pub fn settings_only(self) -> Selection {
        self.teams(BTreeSet::new())
    }

    /// Keeping every value's origin.
    pub fn with_provenance(self) -> Selection {
        Selection {
            provenance: true,
            ..self
        }
    }
}
