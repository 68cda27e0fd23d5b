//! A whole configuration held lean for a write. On a 10,000-subnet server config-get is
//! ~10 MB and its `serde_json::Value` ~100 MB; the safe write protocol holds the base, the
//! edited copy and the read-back at once. Most edits touch one or two subnets (a
//! reservation, an exclusion, a lease time) or none (a network, a claim): every other
//! subnet is kept as its text, behind a small stub `{"id", "subnet", MARK: digest}` that
//! the edit sees in its place and that goes back out as the very same text. The digest is
//! a number (no allocation: stubs are most of a write's memory on such a server), and two
//! texts with one digest are never both held (the second stays open).
//!
//! Two lean configs from different reads are compared only after [`align`], which opens
//! the stubs whose text differs (or that one side has open) on both sides: the semantic
//! comparisons (`same_meaning`, `diff_summary`) then see stubs only where the text is equal.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::error::KeaError;
use super::reply::{decode, RawReply};

/// The key that marks a stub. A control character: no Kea key or ddish key has one.
const MARK: &str = "\u{1}ddish-held";

/// Which subnets an edit must see whole. `Subnets(ids)`: the edit finds those by id, reads
/// the other subnets' `id` and `subnet` at most, and may drop a subnet but never changes
/// one it was not given; anything outside the subnet lists it sees whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    Whole,
    Subnets(Vec<u32>),
}

impl Reach {
    fn opens(&self, id: u64) -> bool {
        match self {
            Reach::Whole => true,
            Reach::Subnets(ids) => ids.iter().any(|i| u64::from(*i) == id),
        }
    }
}

/// `{"Dhcp4": {...}}` with the subnets out of reach held as text.
#[derive(Clone, Debug)]
pub struct LeanConfig {
    pub value: Value,
    /// Subnet text by the digest its stub carries; shared by copies of one read. A text
    /// read from a reply is a slice of that reply's buffer, not a copy of it.
    held: Arc<HashMap<u64, Bytes>>,
    /// Kea's hash of the configuration (config-get's top-level `hash`, Kea >= 2.4), never
    /// part of `value` (config-set refuses it).
    pub hash: Option<String>,
}

#[derive(Deserialize)]
struct Args<'a> {
    #[serde(rename = "Dhcp4", borrow)]
    dhcp4: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(default)]
    hash: Option<String>,
}

/// What a stub keeps of a subnet. Read loosely: a subnet whose id or prefix is odd stays
/// whole (the write's own checks then name it), it does not fail the read.
#[derive(Deserialize)]
struct Ident {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    subnet: Value,
}

fn digest(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

fn bad(e: serde_json::Error) -> KeaError {
    KeaError::malformed(format!("invalid JSON in the configuration ({e})"))
}

/// Builds stubs and their table.
struct Holder<'r> {
    reach: &'r Reach,
    held: HashMap<u64, Bytes>,
    /// Texts already held by an earlier read: shared, not copied.
    known: Option<&'r HashMap<u64, Bytes>>,
    /// The reply the subnets are read from: a held text is a slice of it.
    body: &'r Bytes,
}

impl Holder<'_> {
    /// A subnet from its text: whole when in reach (or without an id), else a stub.
    fn subnet(&mut self, raw: &RawValue) -> Result<Value, KeaError> {
        let ident: Ident = serde_json::from_str(raw.get()).map_err(bad)?;
        let Some(id) = ident.id.as_u64().filter(|&id| !self.reach.opens(id)) else {
            return serde_json::from_str(raw.get()).map_err(bad);
        };
        let d = digest(raw.get());
        let same = |t: &&Bytes| t.as_ref() == raw.get().as_bytes();
        if self.held.get(&d).is_some_and(|t| !same(&t)) {
            // Another text with this digest is held: this one stays open.
            return serde_json::from_str(raw.get()).map_err(bad);
        }
        let text = match self.known.and_then(|k| k.get(&d)).filter(same) {
            Some(t) => t.clone(),
            None => slice_of(self.body, raw.get()),
        };
        self.held.insert(d, text);
        Ok(stub(id, ident.subnet.as_str().map(str::to_string), d))
    }

    fn subnet_list(&mut self, raw: &RawValue) -> Result<Value, KeaError> {
        let list: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(bad)?;
        list.into_iter()
            .map(|s| self.subnet(s))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    fn shared_networks(&mut self, raw: &RawValue) -> Result<Value, KeaError> {
        let nets: Vec<BTreeMap<String, &RawValue>> =
            serde_json::from_str(raw.get()).map_err(bad)?;
        let mut out = Vec::with_capacity(nets.len());
        for n in nets {
            let mut obj = Map::new();
            for (k, v) in n {
                let v = if k == "subnet4" {
                    self.subnet_list(v)?
                } else {
                    serde_json::from_str(v.get()).map_err(bad)?
                };
                obj.insert(k, v);
            }
            out.push(Value::Object(obj));
        }
        Ok(Value::Array(out))
    }
}

/// `text` as a slice of `body` when it lies inside it (no copy), else a copy.
fn slice_of(body: &Bytes, text: &str) -> Bytes {
    let (start, end) = (body.as_ptr() as usize, body.as_ptr() as usize + body.len());
    let t = text.as_ptr() as usize;
    if t >= start && t + text.len() <= end {
        body.slice_ref(text.as_bytes())
    } else {
        Bytes::copy_from_slice(text.as_bytes())
    }
}

/// A held text as the raw JSON it is (checked again: it is sent as it stands).
fn raw_text(t: &Bytes) -> Result<&RawValue, serde_json::Error> {
    serde_json::from_slice(t)
}

fn stub(id: u64, subnet: Option<String>, digest: u64) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(id));
    if let Some(s) = subnet {
        m.insert("subnet".into(), Value::String(s));
    }
    m.insert(MARK.into(), Value::from(digest));
    Value::Object(m)
}

fn stub_digest(v: &Value) -> Option<u64> {
    v.as_object()?.get(MARK)?.as_u64()
}

/// Every subnet list of a `{"Dhcp4": ...}`: the top-level one and each shared network's.
fn subnet_lists_mut(v: &mut Value) -> Vec<&mut Vec<Value>> {
    let Some(d) = v.get_mut("Dhcp4").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut top = None;
    let mut nets = None;
    for (k, x) in d.iter_mut() {
        match k.as_str() {
            "subnet4" => top = x.as_array_mut(),
            "shared-networks" => nets = x.as_array_mut(),
            _ => {}
        }
    }
    out.extend(top);
    for n in nets.into_iter().flatten() {
        out.extend(n.get_mut("subnet4").and_then(Value::as_array_mut));
    }
    out
}

fn subnet_lists(v: &Value) -> Vec<&Vec<Value>> {
    let Some(d) = v.get("Dhcp4") else {
        return Vec::new();
    };
    let mut out: Vec<&Vec<Value>> = d
        .get("subnet4")
        .and_then(Value::as_array)
        .into_iter()
        .collect();
    for n in d
        .get("shared-networks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(n.get("subnet4").and_then(Value::as_array));
    }
    out
}

/// How a subnet appears: held (with its digest) or open.
#[derive(PartialEq)]
enum Seen {
    Held(u64),
    Open,
}

impl LeanConfig {
    /// A config-get reply body, the subnets out of `reach` held as text (shared with `known`
    /// where it holds the same text).
    pub fn from_body(
        body: &Bytes,
        reach: &Reach,
        known: Option<&LeanConfig>,
    ) -> Result<LeanConfig, KeaError> {
        let reply: RawReply<'_, Args<'_>> = decode(body, "config-get")?;
        let args = reply
            .arguments
            .ok_or_else(|| KeaError::malformed("config-get gave no configuration"))?;
        let dhcp4 = args
            .dhcp4
            .ok_or_else(|| KeaError::malformed("config-get gave no Dhcp4 object"))?;
        let mut h = Holder {
            reach,
            held: HashMap::new(),
            known: known.map(|k| &*k.held),
            body,
        };
        let mut d = Map::new();
        for (k, raw) in dhcp4 {
            let v = match k.as_str() {
                "subnet4" if raw.get().trim_start().starts_with('[') => h.subnet_list(raw)?,
                "shared-networks" if raw.get().trim_start().starts_with('[') => {
                    h.shared_networks(raw)?
                }
                _ => serde_json::from_str(raw.get()).map_err(bad)?,
            };
            d.insert(k, v);
        }
        let mut top = Map::new();
        top.insert("Dhcp4".into(), Value::Object(d));
        Ok(LeanConfig {
            value: Value::Object(top),
            held: Arc::new(h.held),
            hash: args.hash,
        })
    }

    /// A whole config (`{"Dhcp4": ...}`, any top-level `hash` taken out), the subnets out of
    /// `reach` held as their compact text.
    pub fn from_value(mut value: Value, reach: &Reach) -> LeanConfig {
        let hash = value
            .as_object_mut()
            .and_then(|t| t.remove("hash"))
            .and_then(|h| h.as_str().map(str::to_string));
        let mut held = HashMap::new();
        if *reach != Reach::Whole {
            for list in subnet_lists_mut(&mut value) {
                for s in list.iter_mut() {
                    let Some(id) = s.get("id").and_then(Value::as_u64) else {
                        continue;
                    };
                    if reach.opens(id) || stub_digest(s).is_some() {
                        continue;
                    }
                    let Ok(text) = serde_json::to_string(s) else {
                        continue;
                    };
                    let d = digest(&text);
                    if held.contains_key(&d) {
                        continue;
                    }
                    let prefix = s.get("subnet").and_then(Value::as_str).map(str::to_string);
                    *s = stub(id, prefix, d);
                    held.insert(d, Bytes::from(text));
                }
            }
        }
        LeanConfig {
            value,
            held: Arc::new(held),
            hash,
        }
    }

    /// Whether any subnet is held (the config is not whole).
    pub fn holds_any(&self) -> bool {
        !self.held.is_empty()
    }

    /// The subnets by id, held or open.
    fn seen(&self) -> BTreeMap<u64, Seen> {
        let mut out = BTreeMap::new();
        for list in subnet_lists(&self.value) {
            for s in list {
                if let Some(id) = s.get("id").and_then(Value::as_u64) {
                    out.insert(id, stub_digest(s).map_or(Seen::Open, Seen::Held));
                }
            }
        }
        out
    }

    /// Opens the held subnets `ids` (parses their text back in place).
    pub fn open(&mut self, ids: &BTreeSet<u64>) -> Result<(), KeaError> {
        if ids.is_empty() {
            return Ok(());
        }
        let held = Arc::clone(&self.held);
        for list in subnet_lists_mut(&mut self.value) {
            for s in list.iter_mut() {
                let open = s
                    .get("id")
                    .and_then(Value::as_u64)
                    .is_some_and(|id| ids.contains(&id));
                let Some(d) = stub_digest(s).filter(|_| open) else {
                    continue;
                };
                let raw = held.get(&d).ok_or_else(|| {
                    KeaError::malformed("a held subnet's text is missing (a ddish bug)")
                })?;
                *s = serde_json::from_slice(raw).map_err(bad)?;
            }
        }
        Ok(())
    }

    /// `Err` names the first held subnet that `edited` (an edit of this config) changed,
    /// copied or moved out of a subnet list: an edit whose [`Reach`] did not name it.
    pub fn check_held(&self, edited: &Value) -> Result<(), String> {
        let mut stubs: HashMap<u64, &Value> = HashMap::new();
        for list in subnet_lists(&self.value) {
            for s in list {
                if let Some(d) = stub_digest(s) {
                    stubs.insert(d, s);
                }
            }
        }
        let mut used = BTreeSet::new();
        let mut in_lists = 0usize;
        for list in subnet_lists(edited) {
            for s in list {
                if let Some(d) = stub_digest(s) {
                    in_lists += 1;
                    if stubs.get(&d) != Some(&s) || !used.insert(d) {
                        return Err(format!(
                            "subnet {} was changed by an edit that was not given it (a ddish bug); nothing was sent",
                            s.get("id").map_or("?".into(), Value::to_string)
                        ));
                    }
                }
            }
        }
        if count_stubs(edited) != in_lists {
            return Err(
                "a held subnet was copied outside the subnet lists (a ddish bug); nothing was sent"
                    .into(),
            );
        }
        Ok(())
    }

    /// The config as sent to Kea: held subnets go out as their text.
    pub fn wire(&self) -> Wire<'_> {
        Wire {
            value: &self.value,
            held: &self.held,
        }
    }

    /// Whether any of `ids` is held here (opening them would change this config).
    pub fn holds_some(&self, ids: &BTreeSet<u64>) -> bool {
        self.seen()
            .iter()
            .any(|(id, s)| ids.contains(id) && *s != Seen::Open)
    }

    /// The ids of the subnets open here.
    pub fn open_ids(&self) -> BTreeSet<u64> {
        self.seen()
            .into_iter()
            .filter(|(_, s)| *s == Seen::Open)
            .map(|(id, _)| id)
            .collect()
    }

    /// The first subnet `pick` chooses (it sees `{"id", "subnet"}` of a held one), whole.
    pub fn find_subnet(&self, pick: impl Fn(&Value) -> bool) -> Result<Option<Value>, KeaError> {
        for list in subnet_lists(&self.value) {
            for s in list {
                let Some(d) = stub_digest(s) else {
                    if pick(s) {
                        return Ok(Some(s.clone()));
                    }
                    continue;
                };
                let mut outline = s.clone();
                if let Some(o) = outline.as_object_mut() {
                    o.remove(MARK);
                }
                if pick(&outline) {
                    let raw = self.held.get(&d).ok_or_else(|| {
                        KeaError::malformed("a held subnet's text is missing (a ddish bug)")
                    })?;
                    return serde_json::from_slice(raw).map(Some).map_err(bad);
                }
            }
        }
        Ok(None)
    }

    /// `value` with every held subnet as `{"id", "subnet"}` only: for reading the layout
    /// (which prefixes and ids exist, ddish's marks, the hooks), never for a write.
    pub fn outline(mut self) -> Value {
        for list in subnet_lists_mut(&mut self.value) {
            for s in list.iter_mut() {
                if let Some(o) = s.as_object_mut() {
                    o.remove(MARK);
                }
            }
        }
        self.value
    }

    /// `value` with every subnet open (for callers that need the whole config).
    pub fn into_whole(mut self) -> Result<Value, KeaError> {
        let all = self.seen().into_keys().collect();
        self.open(&all)?;
        Ok(self.value)
    }
}

fn count_stubs(v: &Value) -> usize {
    match v {
        Value::Object(m) => {
            usize::from(m.contains_key(MARK)) + m.values().map(count_stubs).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(count_stubs).sum(),
        _ => 0,
    }
}

/// Opens, on both sides, every subnet whose text differs between `a` and `b`, that one side
/// has open, or that only one side has: afterwards equal stubs mean equal subnets and the
/// semantic comparisons see everything else whole. Returns the ids opened.
pub fn align(a: &mut LeanConfig, b: &mut LeanConfig) -> Result<BTreeSet<u64>, KeaError> {
    let ids = to_align(a, b);
    a.open(&ids)?;
    b.open(&ids)?;
    Ok(ids)
}

/// The subnets [`align`] opens: held on a side and not held with the same text on the other.
pub fn to_align(a: &LeanConfig, b: &LeanConfig) -> BTreeSet<u64> {
    let (sa, sb) = (a.seen(), b.seen());
    let differs = |id: &u64| match (sa.get(id), sb.get(id)) {
        (Some(Seen::Held(x)), Some(Seen::Held(y))) => x != y,
        (Some(Seen::Open), Some(Seen::Open)) => false,
        (Some(Seen::Held(_)), _) | (_, Some(Seen::Held(_))) => true,
        _ => false,
    };
    sa.keys()
        .chain(sb.keys())
        .filter(|id| differs(id))
        .copied()
        .collect()
}

/// Serialises a lean config with its held subnets as their own text.
pub struct Wire<'a> {
    value: &'a Value,
    held: &'a HashMap<u64, Bytes>,
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(m) => {
                if let Some(d) = m.get(MARK).and_then(Value::as_u64) {
                    return match self.held.get(&d) {
                        Some(t) => raw_text(t).map_err(S::Error::custom)?.serialize(s),
                        None => Err(S::Error::custom(
                            "a held subnet's text is missing (a ddish bug)",
                        )),
                    };
                }
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(
                        k,
                        &Wire {
                            value: v,
                            held: self.held,
                        },
                    )?;
                }
                map.end()
            }
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(&Wire {
                        value: v,
                        held: self.held,
                    })?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests;
