//! Scale benchmark: ddish's own share on top of Kea at 10,000 subnets and a /16 of 65,000
//! leases (KEA_FACTS.md §11 gives Kea's side). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench scale` (release). Inputs are generated in the exact shapes
//! Kea 2.2 returns (config-get, stat-lease4-get, lease4-get-all), so only ddish is timed.
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use ddish::kea::{parse_response, parse_stats, KeaConfig};
use ddish::tui::render::grid::IpGrid;

/// Counts live heap bytes so the per-lease memory can be measured.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const SUBNETS: u32 = 10_000;
const LEASES: u32 = 65_000;

/// A config-get reply like Kea 2.2's: 10,000 /24 subnets plus one /16, defaults expanded.
fn config_get_body() -> Vec<u8> {
    let mut s = String::with_capacity(9 << 20);
    s.push_str(r#"[{"arguments":{"Dhcp4":{"valid-lifetime":3600,"interfaces-config":{"interfaces":["lo"]},"user-context":{"ddish":{"networks":[{"cidr":"10.0.0.0/8","kind":"container","title":"Corp"},{"cidr":"10.64.0.0/16","kind":"network","scopes":["10.64.0.0/16"]}]}},"subnet4":["#);
    for i in 0..SUBNETS {
        let (a, b) = (i / 256, i % 256);
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":{id},"subnet":"10.{a}.{b}.0/24","4o6-interface":"","4o6-interface-id":"","4o6-subnet":"","calculate-tee-times":false,"max-valid-lifetime":3600,"min-valid-lifetime":3600,"option-data":[{{"always-send":false,"code":3,"csv-format":true,"data":"10.{a}.{b}.1","name":"routers","space":"dhcp4"}},{{"always-send":false,"code":6,"csv-format":true,"data":"10.{a}.{b}.53","name":"domain-name-servers","space":"dhcp4"}}],"pools":[{{"option-data":[],"pool":"10.{a}.{b}.100-10.{a}.{b}.199"}}],"rebind-timer":2700,"relay":{{"ip-addresses":[]}},"renew-timer":1800,"reservations":[{{"boot-file-name":"","client-classes":[],"hostname":"host{i}","hw-address":"aa:bb:cc:00:{:02x}:{:02x}","ip-address":"10.{a}.{b}.10","next-server":"0.0.0.0","option-data":[],"server-hostname":""}}],"store-extended-info":false,"t1-percent":0.5,"t2-percent":0.875,"valid-lifetime":3600,"user-context":{{"ddish":{{"title":"floor {i}"}}}}}}"#,
            (i >> 8) & 0xff,
            i & 0xff,
            id = i + 1,
        ));
    }
    s.push_str(&format!(
        r#",{{"id":{},"subnet":"10.64.0.0/16","option-data":[],"pools":[{{"pool":"10.64.0.10-10.64.255.250"}}],"relay":{{"ip-addresses":[]}},"reservations":[],"valid-lifetime":3600}}"#,
        SUBNETS + 1
    ));
    s.push_str(r#"]}},"result":0}]"#);
    s.into_bytes()
}

fn stats_body() -> Vec<u8> {
    let mut s = String::from(
        r#"[{"arguments":{"result-set":{"columns":["subnet-id","total-addresses","cumulative-assigned-addresses","assigned-addresses","declined-addresses"],"rows":["#,
    );
    for i in 1..=SUBNETS + 1 {
        if i > 1 {
            s.push(',');
        }
        s.push_str(&format!("[{i},100,{},{},{}]", i % 97, i % 90, i % 3));
    }
    s.push_str(r#"],"timestamp":"2026-11-23 10:58:43.438379"}},"result":0,"text":"stat-lease4-get[all subnets]: rows found"}]"#);
    s.into_bytes()
}

/// lease4-get-all for the /16: 65,000 leases, some with hostnames, client ids and marks.
fn leases_body() -> Vec<u8> {
    let mut s = String::with_capacity(17 << 20);
    s.push_str(r#"[{"arguments":{"leases":["#);
    for i in 0..LEASES {
        let ip = 0x0a40_000a + i;
        if i > 0 {
            s.push(',');
        }
        let ctx = match i % 1000 {
            0 => r#","user-context":{"ddish":{"held":true,"by":"alice@jump1"}}"#,
            1 => r#","user-context":{"ddish":{"claimed":true,"comment":"lab printer"}}"#,
            _ => "",
        };
        s.push_str(&format!(
            r#"{{"client-id":"01:aa:bb:{:02x}:{:02x}:{:02x}:{:02x}","cltt":1795431530,"fqdn-fwd":false,"fqdn-rev":false,"hostname":"client-{i}.campus.example.test","hw-address":"aa:bb:{:02x}:{:02x}:{:02x}:{:02x}","ip-address":"{}.{}.{}.{}","state":{},"subnet-id":10001,"valid-lft":3600{ctx}}}"#,
            (i >> 24) & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff,
            (i >> 24) & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff,
            ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
            if i % 500 == 7 { 1 } else { 0 },
        ));
    }
    s.push_str(r#"]},"result":0,"text":"65000 IPv4 lease(s) found."}]"#);
    s.into_bytes()
}

/// What the client does with a config-get body: envelope, typed config and model.
fn parse_config_body(body: &[u8]) -> KeaConfig {
    ddish::kea::parse_config_body(body).expect("config parses")
}

fn parse_stats_body(body: &[u8]) -> std::collections::HashMap<u32, ddish::model::ScopeStats> {
    let r = parse_response(body, "stat-lease4-get").expect("stats parse");
    parse_stats(&r.arguments.expect("arguments")).expect("stats parse")
}

/// Median of `n` runs of `f`.
fn median<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut t: Vec<Duration> = (0..n)
        .map(|_| {
            let s = Instant::now();
            black_box(f());
            s.elapsed()
        })
        .collect();
    t.sort();
    t[n / 2]
}

fn ms(d: Duration) -> String {
    format!("{:8.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let cfg = config_get_body();
    let stats = stats_body();
    let leases = leases_body();
    println!("ddish scale benchmark (release, medians)");
    println!(
        "inputs: config-get {:.1} MB ({} subnets), stat-lease4-get {:.0} KB, lease4-get-all {:.1} MB ({} leases)",
        cfg.len() as f64 / 1e6,
        SUBNETS + 1,
        stats.len() as f64 / 1e3,
        leases.len() as f64 / 1e6,
        LEASES
    );

    // 1. Server load: parse config + stats, build the IPAM tree.
    let server = median(7, || {
        let c = parse_config_body(&cfg);
        let s = parse_stats_body(&stats);
        let scopes = c
            .scopes
            .into_iter()
            .map(|def| {
                let st = s.get(&def.id).copied();
                ddish::model::tree::ScopeSummary { def, stats: st }
            })
            .collect();
        ddish::model::ServerTree::build(&c.networks, scopes)
    });
    println!(
        "config + stats -> tree   {}   (target < 100 ms)",
        ms(server)
    );

    // 2. The /16's leases: parse and model every address.
    let c = parse_config_body(&cfg);
    let def = c
        .scopes
        .iter()
        .find(|s| s.id == SUBNETS + 1)
        .expect("/16")
        .clone();
    let scope = median(7, || {
        let l = ddish::kea::parse_leases(&leases).expect("leases parse");
        ddish::model::ScopeView::build(def.clone(), l, 1_795_431_600)
    });
    println!("/16 leases -> scope view {}   (target < 150 ms)", ms(scope));

    // 3. Memory held per lease (the Vec plus every heap allocation it owns).
    let before = LIVE.load(Ordering::Relaxed);
    let l = ddish::kea::parse_leases(&leases).expect("leases parse");
    let held = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "memory per lease         {:8.1} B    (target < 150 B; struct {} B)",
        held as f64 / l.len() as f64,
        std::mem::size_of::<ddish::model::Lease>()
    );
    let view = ddish::model::ScopeView::build(def.clone(), l, 1_795_431_600);

    // 4. One frame of the /16 grid (visible rows only), 200x60 and 80x24.
    for (w, h) in [(200u16, 60u16), (80, 24)] {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        let mut top = 0usize;
        let frame = median(101, || {
            // Scroll as a user would, so every frame draws different rows.
            top = (top + 97) % 1000;
            IpGrid {
                view: &view,
                cursor: top * 16,
                top_row: top,
                matches: None,
                sweep: None,
            }
            .render(area, &mut buf);
        });
        println!("/16 grid frame {w}x{h}    {}   (target < 1 ms)", ms(frame));
    }

    // 5. Re-filtering the /16 on each keystroke of `/` (IP prefix, MAC, state, no match).
    let view = std::sync::Arc::new(view);
    let mut st = ddish::tui::views::ScopeState::new(view.def.clone(), 1);
    st.data = Some(view);
    for f in [
        "10.64.200.",
        "aa:bb:00:00:c8",
        "assigned",
        "nothing-matches",
    ] {
        st.filter = f.into();
        let t = median(11, || st.refilter());
        let n = st.matches.as_ref().map_or(0, |m| m.len());
        println!(
            "/16 filter {:<17} {}   ({n} matches)",
            format!("{f:?}"),
            ms(t)
        );
    }
}
