//! Manage Failover (key `M` on a server tab): the server's Kea HA relationships with both
//! sides' live state, refreshed on the console's refresh tick; the Add Failover wizard;
//! change, delete (who keeps which scope), add scope, and maintenance start / cancel, each
//! confirmed first. Changes need the admin role on the server. The work is done by
//! `ops::failover` in background jobs (see `jobs.rs`).
mod dialogs;
mod jobs;
mod keys;
mod render;
mod render_wizard;
mod view;
mod wizard;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::model::ScopeStatus;
use crate::ops::failover::{FailoverInfo, FailoverOutcome, FailoverSpec};

use super::super::app::{Status, StatusKind};
use super::super::screen::{JobOutput, JobResult, Screen, ScreenCtx, ScreenOut, ScreenTable};

use crate::config::Role;
use crate::tui::actions::Confirm;
use crate::tui::keymap::{self, Action, Context, ScreenKey};
use dialogs::{Change, DeleteChooser, EditForm, Message, ScopePicker};
use view::{partner_name, Since};
use wizard::{ScopeItem, Step, Wizard};

/// Opens the screen for the server tab in view.
pub fn open(app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    let Some(tab) = app.tab else {
        return Err(
            "open a server's tab first (Enter on a server), then M for its failover".into(),
        );
    };
    let url = app
        .fleet
        .rows
        .iter()
        .find(|r| r.name == tab)
        .map(|r| r.url.clone())
        .unwrap_or_default();
    Ok(Box::new(FailoverScreen::new(
        tab,
        &url,
        app.rights_for(tab).allows(crate::config::Role::Admin),
    )))
}

/// What has the keys.
#[derive(Debug)]
pub(super) enum Mode {
    List,
    /// The wizard (kept in `wizard`).
    Wizard,
    /// The create job runs with this spec since this time; the wizard waits behind it for
    /// a retry.
    Creating(Box<FailoverSpec>, i64),
    Edit(Box<EditForm>),
    Delete(DeleteChooser),
    AddScope(ScopePicker),
    Confirm(Confirm<Change>),
}

#[derive(Debug)]
pub struct FailoverScreen {
    server: String,
    server_url: String,
    /// The admin role on the server (and not --read-only): changes allowed.
    admin: bool,
    rels: Vec<FailoverInfo>,
    /// Some list read answered.
    loaded: bool,
    loading: bool,
    loaded_at: Option<i64>,
    /// The last list read failed: why (the rows are from the last good read).
    list_error: Option<String>,
    cursor: usize,
    since: Since,
    mode: Mode,
    wizard: Option<Box<Wizard>>,
    /// What create would do, for the summary (`None` while being checked).
    plan: Option<jobs::PlanOut>,
    message: Option<Message>,
    /// A change being written (never cancelled): what it is.
    busy: Option<String>,
}

impl FailoverScreen {
    fn new(server: &str, url: &str, admin: bool) -> FailoverScreen {
        FailoverScreen {
            server: server.to_string(),
            server_url: url.to_string(),
            admin,
            rels: Vec::new(),
            loaded: false,
            loading: false,
            loaded_at: None,
            list_error: None,
            cursor: 0,
            since: Since::default(),
            mode: Mode::List,
            wizard: None,
            plan: None,
            message: None,
            busy: None,
        }
    }

    pub(super) fn selected(&self) -> Option<&FailoverInfo> {
        self.rels.get(self.cursor)
    }

    pub(super) fn reload(&mut self) -> ScreenOut {
        self.loading = true;
        ScreenOut::job(jobs::list(&self.server))
    }

    pub(super) fn error(text: impl Into<String>) -> ScreenOut {
        ScreenOut {
            status: Some(Status {
                text: text.into(),
                kind: StatusKind::Error,
            }),
            ..ScreenOut::none()
        }
    }

    /// Why a change can't start now, if it can't.
    pub(super) fn refuse_change(&self, app: &ScreenCtx) -> Option<String> {
        if !self.admin {
            return Some(if app.read_only {
                "ddish runs --read-only: failover can't be changed".into()
            } else {
                format!(
                    "changing failover needs the admin role on {}: ask an admin, or set role = \"admin\" for it in the config",
                    self.server
                )
            });
        }
        if let Some(b) = &self.busy {
            return Some(format!("wait: {b} is still running"));
        }
        None
    }

    /// This server's scopes from its tab (present on the server).
    pub(super) fn server_scopes(&self, app: &ScreenCtx) -> Option<Vec<ScopeItem>> {
        let data = app.loaded(&self.server)?;
        Some(
            data.tree
                .scopes
                .iter()
                .filter(|s| s.def.status != ScopeStatus::Missing && s.def.id != 0)
                .map(|s| ScopeItem {
                    cidr: s.def.cidr,
                    label: s.def.label(),
                    picked: true,
                })
                .collect(),
        )
    }

    // ----- keys -----

    // ----- results -----

    pub(super) fn on_list(&mut self, out: jobs::ListOut, now: i64) {
        self.loading = false;
        self.loaded = true;
        match out {
            Ok(rels) => {
                self.since.update(&rels, now);
                self.rels = rels;
                self.loaded_at = Some(now);
                self.list_error = None;
                self.cursor = self.cursor.min(self.rels.len().saturating_sub(1));
            }
            Err(e) => self.list_error = Some(e),
        }
    }

    /// A change finished: the outcome in a message, the list read again.
    pub(super) fn on_change(&mut self, label: &str, out: jobs::ChangeOut) -> ScreenOut {
        self.busy = None;
        let creating = label == jobs::CREATE;
        let status = match out {
            Ok(o) => {
                if creating {
                    self.wizard = None;
                    self.plan = None;
                    if matches!(self.mode, Mode::Creating(..)) {
                        self.mode = Mode::List;
                    }
                }
                let kind = if o.converged && o.warnings.is_empty() {
                    StatusKind::Info
                } else {
                    StatusKind::Warn
                };
                self.message = Some(outcome_message(&o));
                Status {
                    text: o.summary.clone(),
                    kind,
                }
            }
            Err(e) => {
                if creating && matches!(self.mode, Mode::Creating(..)) {
                    // Back to the summary: fix and retry, or Esc through the steps.
                    self.mode = Mode::Wizard;
                }
                let what = match label {
                    jobs::CREATE => "Create failed",
                    "failover:edit" => "Change failed",
                    "failover:delete" => "Delete failed",
                    "failover:add-scope" => "Add scope failed",
                    _ => "Maintenance failed",
                };
                self.message = Some(Message {
                    title: what.into(),
                    lines: vec![e.clone()],
                    error: true,
                });
                Status {
                    text: format!("{what}: {e}"),
                    kind: StatusKind::Error,
                }
            }
        };
        ScreenOut {
            status: Some(status),
            ..self.reload()
        }
    }
}

/// The result popup of a change: the summary, both servers' states, the steps, warnings.
pub(super) fn outcome_message(o: &FailoverOutcome) -> Message {
    let mut lines = vec![o.summary.clone()];
    if !o.states.is_empty() {
        lines.push(format!(
            "Now: {}",
            o.states
                .iter()
                .map(|(s, st)| format!("{s} {st}"))
                .collect::<Vec<_>>()
                .join(" · ")
        ));
    }
    lines.extend(o.steps.iter().map(|s| format!("· {s}")));
    lines.extend(o.warnings.iter().map(|w| format!("⚠ {w}")));
    Message {
        title: if o.converged {
            format!("Failover {}", o.name)
        } else {
            format!("Failover {}: not settled yet", o.name)
        },
        lines,
        error: false,
    }
}

impl Screen for FailoverScreen {
    fn title(&self) -> String {
        format!("Failover · {}", self.server)
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        self.reload()
    }

    fn on_key(&mut self, k: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        let on = |ctx: Context| keymap::lookup(&[ctx], &k, Role::Viewer);
        if self.message.is_some() {
            if on(Context::Info) == Some(Action::Back) {
                self.message = None;
            }
            return ScreenOut::none();
        }
        match &mut self.mode {
            Mode::List => self.list_key(k, app),
            Mode::Wizard => self.wizard_key(k, app.now),
            Mode::Creating(..) => {
                if on(Context::Screens) == Some(Action::Back) {
                    // The write goes on; its outcome shows over the list.
                    self.mode = Mode::List;
                }
                ScreenOut::none()
            }
            Mode::Edit(_) => self.edit_key(k),
            Mode::Delete(d) => {
                match on(Context::KeepChooser) {
                    Some(Action::Back) => self.mode = Mode::List,
                    Some(Action::Open) => {
                        let (title, text, change) = (
                            format!("Delete failover {}", d.rel),
                            d.summary(),
                            d.change(),
                        );
                        self.mode = Mode::Confirm(Confirm {
                            title,
                            text,
                            job: change,
                        });
                    }
                    Some(a) => d.act(a),
                    None => {}
                }
                ScreenOut::none()
            }
            Mode::AddScope(p) => {
                match on(Context::Picker) {
                    Some(Action::Back) => self.mode = Mode::List,
                    Some(Action::Open) => {
                        p.tried = true;
                        let scopes = p.picked();
                        if !scopes.is_empty() {
                            let list: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
                            let text = format!(
                                "Add {} to failover {}? Each scope is copied to the partner with the same id and its pools shared the way the mode needs; both servers are set back to back.",
                                list.join(", "),
                                p.rel
                            );
                            self.mode = Mode::Confirm(Confirm {
                                title: "Add scope to failover".into(),
                                text,
                                job: Change::AddScope {
                                    rel: p.rel.clone(),
                                    scopes,
                                },
                            });
                        }
                    }
                    Some(a) => p.act(a),
                    None => {}
                }
                ScreenOut::none()
            }
            Mode::Confirm(_) => self.confirm_key(k),
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, app: &ScreenCtx) -> ScreenOut {
        // Errors come worded by ops (a read that timed out, a refused or unverified
        // change); a change is never cut off half-way.
        match (label, result.0) {
            (jobs::LIST, Ok(JobOutput::FailoverList(v))) => self.on_list(Ok(v), app.now),
            (jobs::LIST, Err(e)) => self.on_list(Err(e), app.now),
            (jobs::PLAN, Ok(JobOutput::FailoverPlan(p))) => self.plan = Some(Ok(*p)),
            (jobs::PLAN, Err(e)) => self.plan = Some(Err(e)),
            (_, Ok(JobOutput::Failover(o))) => return self.on_change(label, Ok(*o)),
            (_, Err(e)) => return self.on_change(label, Err(e)),
            (_, Ok(other)) => tracing::warn!(label, "failover job answered with {other:?}"),
        }
        ScreenOut::none()
    }

    fn on_refresh(&mut self, _force: bool, _app: &ScreenCtx) -> ScreenOut {
        self.reload()
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
        render::draw(frame, area, app, self);
    }

    fn hints(&self) -> Vec<(String, String)> {
        // Every footer is rows of the keymap table, in the table's order (the change keys
        // first: the footer cuts what does not fit at 80 columns).
        let rows = |ctx: &[Context], skip: &[Action], role: Role| {
            keymap::hint_pairs(ctx, role, |a| !skip.contains(&a))
        };
        let none = Role::Viewer;
        if self.message.is_some() {
            return rows(&[Context::Info], &[Action::Up], none);
        }
        match &self.mode {
            Mode::List => {
                let role = if self.admin {
                    Role::Admin
                } else {
                    Role::Viewer
                };
                let ctx = [Context::Screen(ScreenKey::Failover), Context::Screens];
                rows(&ctx, &[], role)
            }
            Mode::Wizard => {
                let step = self.wizard.as_ref().map_or(Step::Scopes, |w| w.step);
                let (open_back, up) = (&[Action::Open, Action::Back][..], Action::Up);
                let mut v = match step {
                    Step::Scopes => rows(&[Context::Picker], &[open_back, &[up]].concat(), none),
                    Step::Partner => {
                        let mut v =
                            rows(&[Context::Picker], &[Action::Mark, Action::MarkAll], none);
                        v.truncate(1);
                        v.push(("type".into(), "URL".into()));
                        v
                    }
                    Step::Config => rows(
                        &[Context::Form],
                        &[Action::PrevField, Action::Open, Action::Back],
                        none,
                    ),
                    Step::Summary => vec![],
                };
                for (k, t) in rows(&[Context::Wizard], &[], none) {
                    // What Enter and Esc do at the ends of the wizard.
                    let t = match (step, k.as_str()) {
                        (Step::Summary, "Enter") => "create".to_string(),
                        (Step::Scopes, "Esc") => "cancel".to_string(),
                        _ => t,
                    };
                    v.push((k, t));
                }
                v
            }
            Mode::Creating(..) => vec![("Esc".into(), "to the list (it goes on)".into())],
            Mode::Edit(_) => rows(&[Context::Form], &[Action::PrevField], none),
            Mode::Delete(_) => rows(&[Context::KeepChooser], &[], none),
            Mode::AddScope(_) => rows(&[Context::Picker], &[Action::Up], none),
            // The same keys as every question of the console.
            Mode::Confirm(_) => rows(&[Context::Confirm], &[], none),
        }
    }

    /// Keys go to the screen's forms and dialogs (q and the digits are typed there).
    fn typing(&self) -> bool {
        self.message.is_some() || !matches!(self.mode, Mode::List)
    }

    fn export(&self) -> Option<ScreenTable> {
        let header = [
            "name",
            "mode",
            "this_server",
            "this_role",
            "partner",
            "partner_role",
            "partner_url",
            "scopes",
            "state",
            "partner_state",
            "communication_interrupted",
            "unacked_clients",
        ];
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let rows = self
            .rels
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.mode_text.clone(),
                    r.this_server.clone(),
                    r.this_role.clone(),
                    partner_name(r).to_string(),
                    r.partner_role.clone(),
                    r.partner_url.clone(),
                    r.scopes
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    opt(&r.local_state),
                    opt(&r.partner_state),
                    r.communication_interrupted
                        .map(|b| b.to_string())
                        .unwrap_or_default(),
                    r.unacked_clients.map(|n| n.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        Some(ScreenTable {
            what: format!("failover-{}", self.server),
            header: header.iter().map(|s| s.to_string()).collect(),
            rows,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use crate::model::failover::HaMode;
    use crate::ops::failover::FailoverInfo;

    /// A load-balancing relationship `name` between a (this) and b, both load-balancing.
    pub fn info(name: &str) -> FailoverInfo {
        FailoverInfo {
            name: name.into(),
            mode: Some(HaMode::LoadBalancing),
            mode_text: "load-balancing".into(),
            this_server: "a".into(),
            this_peer: "a".into(),
            this_url: "http://127.0.0.1:1/".into(),
            this_role: "primary".into(),
            partner_server: Some("b".into()),
            partner_peer: "b".into(),
            partner_url: "http://127.0.0.1:2/".into(),
            partner_role: "secondary".into(),
            scopes: vec![
                "10.0.0.0/24".parse().unwrap(),
                "10.0.1.0/24".parse().unwrap(),
            ],
            only_here: vec![],
            only_partner: vec![],
            drift: Vec::new(),
            local_state: Some("load-balancing".into()),
            partner_state: Some("load-balancing".into()),
            communication_interrupted: Some(false),
            unacked_clients: Some(0),
            state_for_secs: None,
            heartbeat_delay_ms: 10_000,
            max_response_delay_ms: 60_000,
            max_ack_delay_ms: 10_000,
            max_unacked_clients: 10,
            auto_failover: true,
            peer_user: None,
            has_peer_password: false,
            partner_error: None,
        }
    }
}
