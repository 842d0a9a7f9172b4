//! Request bodies (emulator.md 3.2): JSON syntax (with duplicate keys refused), the
//! per-api-version schemas, values, and formula checks, all before the pool is looked up.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use batchscale::time::{TICKS_PER_HOUR, TICKS_PER_MINUTE};
use batchscale::{CompiledFormula, DeallocationOption, Interval};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::ApiError;
use crate::json::parse_duration;
use crate::model::Fill;

/// Which schemas apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// `2024-02-01.19.0` (azure-batch 14.x).
    V2024,
    /// `2025-06-01` and unknown versions.
    V2025,
}

/// A JSON value that refuses duplicate keys while parsing.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if out.insert(key.clone(), value).is_some() {
                return Err(de::Error::custom(format!("duplicate key {key}")));
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses a body as a JSON object; anything else is `InvalidRequestBody`.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let Strict(value) =
        serde::Deserialize::deserialize(&mut deserializer).map_err(|_| ApiError::body())?;
    deserializer.end().map_err(|_| ApiError::body())?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::body()),
    }
}

/// What the body stage reports besides errors: unknown properties (warned about).
#[derive(Debug, Default)]
pub struct Notes {
    /// Unknown top-level properties, ignored.
    pub unknown: Vec<String>,
}

/// The body reader of one request: the object, the known names, `--strict`.
pub struct Reader<'a> {
    map: &'a Map<String, Value>,
    strict: bool,
}

fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<'a> Reader<'a> {
    /// A reader over `map`.
    pub fn new(map: &'a Map<String, Value>, strict: bool) -> Reader<'a> {
        Reader { map, strict }
    }

    /// Checks for properties outside `known`: 400 under `--strict`, else noted.
    pub fn unknown(&self, known: &[&str], notes: &mut Notes) -> Result<(), ApiError> {
        for key in self.map.keys() {
            if !known.contains(&key.as_str()) {
                if self.strict {
                    return Err(ApiError::unsupported_property(key));
                }
                notes.unknown.push(key.clone());
            }
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// Whether a property is present (not null).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// An optional string.
    pub fn string(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(ApiError::property_value(
                name,
                &render(v),
                "expected a string",
            )),
        }
    }

    /// A required string.
    pub fn required_string(&self, name: &str) -> Result<&'a str, ApiError> {
        self.string(name)?
            .ok_or_else(|| ApiError::missing_property(name))
    }

    /// An optional boolean.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(ApiError::property_value(
                name,
                &render(v),
                "expected true or false",
            )),
        }
    }

    /// An optional integer in `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => match n.as_i64() {
                Some(i) if (min..=max).contains(&i) => Ok(Some(i)),
                Some(_) => Err(ApiError::property_value(
                    name,
                    &render(v),
                    &format!("must be an integer from {min} to {max}"),
                )),
                None => Err(ApiError::property_value(
                    name,
                    &render(v),
                    "expected an integer",
                )),
            },
            Some(v) => Err(ApiError::property_value(
                name,
                &render(v),
                "expected an integer",
            )),
        }
    }

    /// An optional duration (3.1) of at least `min` and at most `max`.
    pub fn duration(
        &self,
        name: &str,
        min: Interval,
        max: Interval,
        rule: &str,
    ) -> Result<Option<Interval>, ApiError> {
        let Some(text) = self.string(name)? else {
            return Ok(None);
        };
        let interval =
            parse_duration(text).map_err(|e| ApiError::property_value(name, text, &e))?;
        if interval < min || interval > max {
            return Err(ApiError::property_value(name, text, rule));
        }
        Ok(Some(interval))
    }

    /// An optional object, checked for required sub-fields.
    pub fn object(&self, name: &str, required: &[&str]) -> Result<Option<&'a Value>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Value::Object(o)) => {
                for field in required {
                    if o.get(*field).is_none_or(Value::is_null) {
                        return Err(ApiError::missing_property(&format!("{name}.{field}")));
                    }
                }
                Ok(Some(v))
            }
            Some(v) => Err(ApiError::property_value(
                name,
                &render(v),
                "expected an object",
            )),
        }
    }

    /// An optional array of objects, each checked for required sub-fields.
    pub fn array(&self, name: &str, required: &[&str]) -> Result<Option<&'a Value>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Value::Array(items)) => {
                for item in items {
                    let Value::Object(o) = item else {
                        return Err(ApiError::property_value(
                            name,
                            &render(item),
                            "expected a list of objects",
                        ));
                    };
                    for field in required {
                        if o.get(*field).is_none_or(Value::is_null) {
                            return Err(ApiError::missing_property(&format!("{name}.{field}")));
                        }
                    }
                }
                Ok(Some(v))
            }
            Some(v) => Err(ApiError::property_value(
                name,
                &render(v),
                "expected a list",
            )),
        }
    }

    /// An optional enum value, matched case-insensitively, stored lower-case.
    pub fn enumeration(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        let Some(text) = self.string(name)? else {
            return Ok(None);
        };
        let lower = text.to_ascii_lowercase();
        if allowed.contains(&lower.as_str()) {
            Ok(Some(lower))
        } else {
            Err(ApiError::property_value(
                name,
                text,
                &format!("expected one of {}", allowed.join(", ")),
            ))
        }
    }
}

/// 5 minutes.
pub const FIVE_MINUTES: Interval = Interval(5 * TICKS_PER_MINUTE);
/// 168 hours.
pub const WEEK: Interval = Interval(168 * TICKS_PER_HOUR);
const FOREVER: Interval = Interval(i64::MAX);

/// A formula as the service checks it on add, enable and evaluate.
pub fn formula(text: &str) -> Result<Arc<CompiledFormula>, ApiError> {
    CompiledFormula::new(text)
        .map(Arc::new)
        .map_err(|rejection| {
            let e = rejection.error;
            // The messages of emulator.md section 4 (language.md section 9).
            let message = match e.code.as_str() {
                "AutoScalingFormulaTooLong" => {
                    "The specified auto-scaling formula exceeds lengths limit."
                }
                "InvalidAutoScalingSettings" => crate::error::msg::AUTOSCALE_SETTINGS,
                _ => e.message.value.as_str(),
            };
            ApiError::new(
                400,
                &e.code,
                message,
                e.values.into_iter().map(|v| (v.key, v.value)).collect(),
            )
        })
}

/// An optional `autoScaleFormula`, checked.
fn read_formula(r: &Reader<'_>) -> Result<Option<(String, Arc<CompiledFormula>)>, ApiError> {
    match r.string("autoScaleFormula")? {
        None => Ok(None),
        Some(text) => Ok(Some((text.to_string(), formula(text)?))),
    }
}

fn read_interval(r: &Reader<'_>) -> Result<Option<Interval>, ApiError> {
    r.duration(
        "autoScaleEvaluationInterval",
        FIVE_MINUTES,
        WEEK,
        "the evaluation interval must be from 5 minutes to 168 hours",
    )
}

fn read_resize_timeout(r: &Reader<'_>) -> Result<Option<Interval>, ApiError> {
    r.duration(
        "resizeTimeout",
        FIVE_MINUTES,
        FOREVER,
        "the resize timeout must be at least 5 minutes",
    )
}

fn read_option(r: &Reader<'_>) -> Result<Option<DeallocationOption>, ApiError> {
    Ok(r.enumeration(
        "nodeDeallocationOption",
        &["requeue", "terminate", "taskcompletion", "retaineddata"],
    )?
    .and_then(|k| DeallocationOption::from_keyword(&k)))
}

fn read_target(r: &Reader<'_>, name: &str) -> Result<Option<u32>, ApiError> {
    Ok(r.int(name, 0, i64::from(i32::MAX))?.map(|v| v as u32))
}

/// Fields stored and echoed as given, with their required sub-fields.
const ECHOED: &[(&str, &[&str], bool)] = &[
    // (name, required sub-fields, is a list)
    ("networkConfiguration", &[], false),
    ("startTask", &["commandLine"], false),
    ("certificateReferences", &[], true),
    ("applicationPackageReferences", &[], true),
    ("applicationLicenses", &[], true),
    ("userAccounts", &["name", "password"], true),
    ("metadata", &["name", "value"], true),
    ("mountConfiguration", &[], true),
    (
        "virtualMachineConfiguration",
        &["imageReference", "nodeAgentSKUId"],
        false,
    ),
    ("cloudServiceConfiguration", &[], false),
    ("upgradePolicy", &["mode"], false),
    ("resourceTags", &[], false),
];

/// Reads the echoed fields present among `names` into `extra`.
fn read_echoed(
    r: &Reader<'_>,
    names: &[&str],
    extra: &mut BTreeMap<String, Value>,
) -> Result<(), ApiError> {
    for (name, required, list) in ECHOED {
        if !names.contains(name) {
            continue;
        }
        let value = if *list {
            r.array(name, required)?
        } else {
            r.object(name, required)?
        };
        if let Some(v) = value {
            let mut v = v.clone();
            if *name == "upgradePolicy"
                && let Some(Value::String(mode)) = v.get_mut("mode")
            {
                let lower = mode.to_ascii_lowercase();
                if !["automatic", "manual", "rolling"].contains(&lower.as_str()) {
                    return Err(ApiError::property_value(
                        "upgradePolicy.mode",
                        mode,
                        "expected automatic, manual or rolling",
                    ));
                }
                *mode = lower;
            }
            extra.insert(name.to_string(), v);
        }
    }
    if names.contains(&"targetNodeCommunicationMode")
        && let Some(mode) = r.enumeration(
            "targetNodeCommunicationMode",
            &["default", "classic", "simplified"],
        )?
    {
        extra.insert(
            "targetNodeCommunicationMode".to_string(),
            Value::String(mode),
        );
    }
    Ok(())
}

fn read_fill(r: &Reader<'_>) -> Result<Option<Fill>, ApiError> {
    let Some(policy) = r.object("taskSchedulingPolicy", &["nodeFillType"])? else {
        return Ok(None);
    };
    let value = &policy["nodeFillType"];
    match value.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("spread") => Ok(Some(Fill::Spread)),
        Some("pack") => Ok(Some(Fill::Pack)),
        _ => Err(ApiError::property_value(
            "taskSchedulingPolicy.nodeFillType",
            &render(value),
            "expected Spread or Pack",
        )),
    }
}

fn read_id(r: &Reader<'_>) -> Result<String, ApiError> {
    let id = r.required_string("id")?;
    let ok = (1..=64).contains(&id.chars().count())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(ApiError::property_value(
            "id",
            id,
            "a pool id is 1 to 64 characters from A-Z, a-z, 0-9, hyphen and underscore",
        ));
    }
    Ok(id.to_string())
}

fn read_display_name(r: &Reader<'_>) -> Result<Option<String>, ApiError> {
    match r.string("displayName")? {
        Some(name) if name.chars().count() > 1024 => Err(ApiError::property_value(
            "displayName",
            name,
            "a display name has at most 1024 characters",
        )),
        other => Ok(other.map(str::to_string)),
    }
}

fn read_vm_size(r: &Reader<'_>, required: bool) -> Result<Option<String>, ApiError> {
    let size = if required {
        Some(r.required_string("vmSize")?)
    } else {
        r.string("vmSize")?
    };
    match size {
        Some("") => Err(ApiError::property_value(
            "vmSize",
            "",
            "vmSize must not be empty",
        )),
        other => Ok(other.map(str::to_string)),
    }
}

/// The most task slots a node of a size can have.
pub fn max_slots(vm_size: &str) -> u32 {
    let cores = crate::usage::cores(vm_size).unwrap_or(1);
    (4 * cores).min(256)
}

fn read_slots(r: &Reader<'_>, vm_size: &str) -> Result<Option<u32>, ApiError> {
    let max = max_slots(vm_size);
    match r.get("taskSlotsPerNode") {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 && n <= i64::from(max) => Ok(Some(n as u32)),
            _ => Err(ApiError::property_value(
                "taskSlotsPerNode",
                &render(v),
                &format!("taskSlotsPerNode must be from 1 to {max} for vmSize {vm_size}"),
            )),
        },
    }
}

/// A validated PoolAddParameter.
pub struct NewPool {
    /// `id`.
    pub id: String,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `vmSize`.
    pub vm_size: String,
    /// `resizeTimeout`.
    pub resize_timeout: Interval,
    /// Fixed targets (autoscale off).
    pub targets: (u32, u32),
    /// Autoscale settings (on).
    pub autoscale: Option<(String, Arc<CompiledFormula>, Interval)>,
    /// `enableInterNodeCommunication`.
    pub inter_node: bool,
    /// `taskSlotsPerNode`.
    pub task_slots: u32,
    /// Placement.
    pub fill: Fill,
    /// Echoed fields.
    pub extra: BTreeMap<String, Value>,
}

/// PoolAddParameter (15.x BatchPoolCreateOptions), 3.2.
pub fn pool_add(
    map: &Map<String, Value>,
    schema: Schema,
    strict: bool,
    notes: &mut Notes,
) -> Result<NewPool, ApiError> {
    let r = Reader::new(map, strict);
    let mut known = vec![
        "id",
        "displayName",
        "vmSize",
        "resizeTimeout",
        "targetDedicatedNodes",
        "targetLowPriorityNodes",
        "enableAutoScale",
        "autoScaleFormula",
        "autoScaleEvaluationInterval",
        "enableInterNodeCommunication",
        "networkConfiguration",
        "startTask",
        "certificateReferences",
        "applicationPackageReferences",
        "applicationLicenses",
        "taskSlotsPerNode",
        "taskSchedulingPolicy",
        "userAccounts",
        "metadata",
        "mountConfiguration",
        "targetNodeCommunicationMode",
        "upgradePolicy",
        "resourceTags",
        "virtualMachineConfiguration",
    ];
    if schema == Schema::V2024 {
        known.push("cloudServiceConfiguration");
    }
    r.unknown(&known, notes)?;
    let id = read_id(&r)?;
    let display_name = read_display_name(&r)?;
    let vm_size = read_vm_size(&r, true)?.unwrap_or_default();
    let has_vm = r.has("virtualMachineConfiguration");
    let has_cs = schema == Schema::V2024 && r.has("cloudServiceConfiguration");
    if has_vm && has_cs {
        return Err(ApiError::property_value(
            "cloudServiceConfiguration",
            &render(&map["cloudServiceConfiguration"]),
            "give exactly one of virtualMachineConfiguration and cloudServiceConfiguration (the service retired Cloud Services pools in 2024)",
        ));
    }
    if !has_vm && !has_cs {
        return Err(ApiError::missing_property("virtualMachineConfiguration"));
    }
    let mut extra = BTreeMap::new();
    read_echoed(&r, &known, &mut extra)?;
    let resize_timeout = read_resize_timeout(&r)?.unwrap_or(crate::pool::FIFTEEN_MINUTES);
    let dedicated = read_target(&r, "targetDedicatedNodes")?;
    let low = read_target(&r, "targetLowPriorityNodes")?;
    let enable = r.bool("enableAutoScale")?.unwrap_or(false);
    let interval = read_interval(&r)?;
    let inter_node = r.bool("enableInterNodeCommunication")?.unwrap_or(false);
    let task_slots = read_slots(&r, &vm_size)?.unwrap_or(1);
    let fill = read_fill(&r)?.unwrap_or(Fill::Spread);
    let formula_text = r.string("autoScaleFormula")?;
    let autoscale = if enable {
        if dedicated.is_some() || low.is_some() {
            return Err(ApiError::autoscale_settings(
                "targetDedicatedNodes and targetLowPriorityNodes must not be given when enableAutoScale is true",
            ));
        }
        if formula_text.is_none() {
            return Err(ApiError::missing_property("autoScaleFormula"));
        }
        let (text, compiled) = read_formula(&r)?.expect("checked present");
        Some((
            text,
            compiled,
            interval.unwrap_or(crate::pool::FIFTEEN_MINUTES),
        ))
    } else {
        if formula_text.is_some() || interval.is_some() {
            return Err(ApiError::autoscale_settings(
                "autoScaleFormula and autoScaleEvaluationInterval must not be given when enableAutoScale is false",
            ));
        }
        if dedicated.is_none() && low.is_none() {
            return Err(ApiError::missing_property(
                "targetDedicatedNodes and/or targetLowPriorityNodes",
            ));
        }
        None
    };
    Ok(NewPool {
        id,
        display_name,
        vm_size,
        resize_timeout,
        targets: (dedicated.unwrap_or(0), low.unwrap_or(0)),
        autoscale,
        inter_node,
        task_slots,
        fill,
        extra,
    })
}

/// A validated resize.
#[derive(Debug)]
pub struct Resize {
    /// New dedicated target, if given.
    pub dedicated: Option<u32>,
    /// New low-priority target, if given.
    pub low_priority: Option<u32>,
    /// `resizeTimeout` (default 15 min).
    pub timeout: Interval,
    /// `nodeDeallocationOption` (default requeue).
    pub option: DeallocationOption,
}

/// PoolResizeParameter.
pub fn resize(
    map: &Map<String, Value>,
    strict: bool,
    notes: &mut Notes,
) -> Result<Resize, ApiError> {
    let r = Reader::new(map, strict);
    r.unknown(
        &[
            "targetDedicatedNodes",
            "targetLowPriorityNodes",
            "resizeTimeout",
            "nodeDeallocationOption",
        ],
        notes,
    )?;
    let dedicated = read_target(&r, "targetDedicatedNodes")?;
    let low_priority = read_target(&r, "targetLowPriorityNodes")?;
    if dedicated.is_none() && low_priority.is_none() {
        return Err(ApiError::missing_property(
            "targetDedicatedNodes and/or targetLowPriorityNodes",
        ));
    }
    Ok(Resize {
        dedicated,
        low_priority,
        timeout: read_resize_timeout(&r)?.unwrap_or(crate::pool::FIFTEEN_MINUTES),
        option: read_option(&r)?.unwrap_or(DeallocationOption::Requeue),
    })
}

/// A validated remove_nodes.
pub struct RemoveNodes {
    /// Node ids as given.
    pub nodes: Vec<String>,
    /// `resizeTimeout` (default 15 min).
    pub timeout: Interval,
    /// `nodeDeallocationOption` (default requeue).
    pub option: DeallocationOption,
}

/// NodeRemoveParameter.
pub fn remove_nodes(
    map: &Map<String, Value>,
    strict: bool,
    notes: &mut Notes,
) -> Result<RemoveNodes, ApiError> {
    let r = Reader::new(map, strict);
    r.unknown(
        &["nodeList", "resizeTimeout", "nodeDeallocationOption"],
        notes,
    )?;
    let Some(list) = r.get("nodeList") else {
        return Err(ApiError::missing_property("nodeList"));
    };
    let Value::Array(items) = list else {
        return Err(ApiError::property_value(
            "nodeList",
            &render(list),
            "expected a list of node ids",
        ));
    };
    let mut nodes: Vec<String> = Vec::new();
    for item in items {
        let Value::String(id) = item else {
            return Err(ApiError::property_value(
                "nodeList",
                &render(list),
                "expected a list of node ids",
            ));
        };
        if nodes.iter().any(|n| n.eq_ignore_ascii_case(id)) {
            return Err(ApiError::property_value(
                "nodeList",
                &render(list),
                &format!("node '{id}' is listed twice"),
            ));
        }
        nodes.push(id.clone());
    }
    if nodes.is_empty() || nodes.len() > 100 {
        return Err(ApiError::property_value(
            "nodeList",
            &render(list),
            "nodeList must hold 1 to 100 node ids",
        ));
    }
    Ok(RemoveNodes {
        nodes,
        timeout: read_resize_timeout(&r)?.unwrap_or(crate::pool::FIFTEEN_MINUTES),
        option: read_option(&r)?.unwrap_or(DeallocationOption::Requeue),
    })
}

/// A validated enable: what was given (the presence rules need the pool).
pub struct Enable {
    /// The formula, checked.
    pub formula: Option<(String, Arc<CompiledFormula>)>,
    /// The interval.
    pub interval: Option<Interval>,
}

/// PoolEnableAutoScaleParameter.
pub fn enable(
    map: &Map<String, Value>,
    strict: bool,
    notes: &mut Notes,
) -> Result<Enable, ApiError> {
    let r = Reader::new(map, strict);
    r.unknown(&["autoScaleFormula", "autoScaleEvaluationInterval"], notes)?;
    let interval = read_interval(&r)?;
    let formula = read_formula(&r)?;
    Ok(Enable { formula, interval })
}

/// PoolEvaluateAutoScaleParameter.
pub fn evaluate(
    map: &Map<String, Value>,
    strict: bool,
    notes: &mut Notes,
) -> Result<Arc<CompiledFormula>, ApiError> {
    let r = Reader::new(map, strict);
    r.unknown(&["autoScaleFormula"], notes)?;
    let text = r.required_string("autoScaleFormula")?;
    formula(text)
}

/// A validated PATCH or update_properties: fields to set (`Value::Null`: remove).
#[derive(Default)]
pub struct Update {
    /// Echoed fields to replace (null = remove).
    pub extra: BTreeMap<String, Value>,
    /// `displayName` (2025 PATCH).
    pub display_name: Option<String>,
    /// `vmSize` (2025 PATCH).
    pub vm_size: Option<String>,
    /// `enableInterNodeCommunication` (2025 PATCH).
    pub inter_node: Option<bool>,
    /// `taskSlotsPerNode` (2025 PATCH).
    pub task_slots: Option<u32>,
    /// `taskSchedulingPolicy` (2025 PATCH).
    pub fill: Option<Fill>,
    /// Whether an "only when empty" field was given.
    pub empty_only: Vec<String>,
}

const EMPTY_ONLY: &[&str] = &[
    "displayName",
    "vmSize",
    "enableInterNodeCommunication",
    "virtualMachineConfiguration",
    "taskSlotsPerNode",
    "taskSchedulingPolicy",
    "networkConfiguration",
    "userAccounts",
    "mountConfiguration",
    "upgradePolicy",
];

/// PoolPatchParameter / BatchPoolUpdateOptions. `current_vm` sizes the slot limit.
pub fn patch(
    map: &Map<String, Value>,
    schema: Schema,
    strict: bool,
    current_vm: &str,
    notes: &mut Notes,
) -> Result<Update, ApiError> {
    let r = Reader::new(map, strict);
    let mut known: Vec<&str> = vec!["startTask", "applicationPackageReferences", "metadata"];
    match schema {
        Schema::V2024 => known.extend(["certificateReferences", "targetNodeCommunicationMode"]),
        Schema::V2025 => known.extend(EMPTY_ONLY),
    }
    r.unknown(&known, notes)?;
    let mut update = Update::default();
    read_echoed(&r, &known, &mut update.extra)?;
    if schema == Schema::V2025 {
        update.display_name = read_display_name(&r)?;
        update.vm_size = read_vm_size(&r, false)?;
        update.inter_node = r.bool("enableInterNodeCommunication")?;
        let vm = update
            .vm_size
            .clone()
            .unwrap_or_else(|| current_vm.to_string());
        update.task_slots = read_slots(&r, &vm)?;
        update.fill = read_fill(&r)?;
        update.empty_only = EMPTY_ONLY
            .iter()
            .filter(|n| r.has(n))
            .map(|n| n.to_string())
            .collect();
    }
    Ok(update)
}

/// PoolUpdatePropertiesParameter: a full replace.
pub fn update_properties(
    map: &Map<String, Value>,
    schema: Schema,
    strict: bool,
    notes: &mut Notes,
) -> Result<Update, ApiError> {
    let r = Reader::new(map, strict);
    let (known, required): (Vec<&str>, Vec<&str>) = match schema {
        Schema::V2024 => (
            vec![
                "startTask",
                "certificateReferences",
                "applicationPackageReferences",
                "metadata",
                "targetNodeCommunicationMode",
            ],
            vec![
                "certificateReferences",
                "applicationPackageReferences",
                "metadata",
            ],
        ),
        Schema::V2025 => (
            vec!["startTask", "applicationPackageReferences", "metadata"],
            vec!["applicationPackageReferences", "metadata"],
        ),
    };
    r.unknown(&known, notes)?;
    for name in &required {
        if !r.has(name) {
            return Err(ApiError::missing_property(name));
        }
    }
    let mut update = Update::default();
    read_echoed(&r, &known, &mut update.extra)?;
    // Full replace: an omitted start task is removed; under 2024 an omitted mode is default.
    update
        .extra
        .entry("startTask".to_string())
        .or_insert(Value::Null);
    if schema == Schema::V2024 {
        update
            .extra
            .entry("targetNodeCommunicationMode".to_string())
            .or_insert(Value::String("default".to_string()));
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_with_duplicate_keys_or_not_objects_are_invalid_request_body() {
        for bad in [
            &b"{\"a\":1,\"a\":2}"[..],
            b"[1]",
            b"nul",
            b"{",
            b"\"x\"",
            b"{} {}",
        ] {
            assert_eq!(parse_object(bad).unwrap_err().code, "InvalidRequestBody");
        }
        assert!(parse_object(b" {\"a\":{\"b\":[1,2]}} ").is_ok());
    }

    #[test]
    fn resize_of_an_empty_body_names_both_targets() {
        let e = resize(&Map::new(), false, &mut Notes::default()).unwrap_err();
        assert_eq!(e.code, "MissingRequiredProperty");
        assert_eq!(
            e.values[0].1,
            "targetDedicatedNodes and/or targetLowPriorityNodes"
        );
    }
}
