//! Response bodies: CloudPool (3.3), ComputeNode (3.4), AutoScaleRun and the lists (3.6),
//! in the field order of the spec, with `$select` applied.

use batchscale::AutoScaleRun;
use serde_json::Value;

use crate::json::Obj;
use crate::pool::{Lifecycle, Pool};
use batchscale_sim::model::{NodeInfo, Priority};

/// Every top-level CloudPool field name, in order (for `$select`).
pub const POOL_FIELDS: &[&str] = &[
    "id",
    "displayName",
    "url",
    "eTag",
    "lastModified",
    "creationTime",
    "state",
    "stateTransitionTime",
    "allocationState",
    "allocationStateTransitionTime",
    "vmSize",
    "resizeTimeout",
    "currentDedicatedNodes",
    "targetDedicatedNodes",
    "currentLowPriorityNodes",
    "targetLowPriorityNodes",
    "resizeErrors",
    "enableAutoScale",
    "autoScaleFormula",
    "autoScaleEvaluationInterval",
    "autoScaleRun",
    "enableInterNodeCommunication",
    "networkConfiguration",
    "startTask",
    "certificateReferences",
    "applicationPackageReferences",
    "applicationLicenses",
    "userAccounts",
    "metadata",
    "mountConfiguration",
    "taskSlotsPerNode",
    "taskSchedulingPolicy",
    "virtualMachineConfiguration",
    "cloudServiceConfiguration",
    "currentNodeCommunicationMode",
    "targetNodeCommunicationMode",
    "upgradePolicy",
    "resourceTags",
    "stats",
];

/// Every top-level ComputeNode field name, in order.
pub const NODE_FIELDS: &[&str] = &[
    "id",
    "url",
    "state",
    "schedulingState",
    "stateTransitionTime",
    "lastBootTime",
    "allocationTime",
    "vmSize",
    "totalTasksRun",
    "totalTasksSucceeded",
    "runningTasksCount",
    "runningTaskSlotsCount",
    "isDedicated",
];

/// An object writer that skips fields `$select` left out.
struct Sel<'a> {
    obj: Obj,
    select: Option<&'a [String]>,
}

impl Sel<'_> {
    fn keep(&self, key: &str) -> bool {
        self.select.is_none_or(|s| s.iter().any(|k| k == key))
    }
    fn str(&mut self, key: &str, v: &str) {
        if self.keep(key) {
            self.obj.str(key, v);
        }
    }
    fn raw(&mut self, key: &str, v: &str) {
        if self.keep(key) {
            self.obj.raw(key, v);
        }
    }
    fn int(&mut self, key: &str, v: i64) {
        if self.keep(key) {
            self.obj.int(key, v);
        }
    }
    fn bool(&mut self, key: &str, v: bool) {
        if self.keep(key) {
            self.obj.bool(key, v);
        }
    }
    fn time(&mut self, key: &str, t: batchscale::Timestamp) {
        if self.keep(key) {
            self.obj.time(key, t);
        }
    }
    fn value(&mut self, key: &str, v: &Value) {
        if self.keep(key) {
            self.obj.value(key, v);
        }
    }
}

/// The AutoScaleRun JSON (keys `timestamp`, `results`, `error`?).
pub fn run_json(run: &AutoScaleRun) -> String {
    serde_json::to_string(run).unwrap_or_default()
}

/// CloudPool. `metadata`: the `odata.metadata` of a single GET.
pub fn pool_json(pool: &Pool, base: &str, metadata: bool, select: Option<&[String]>) -> String {
    let mut o = Sel {
        obj: Obj::new(),
        select,
    };
    if metadata {
        o.obj.str(
            "odata.metadata",
            &format!("{base}/$metadata#pools/@Element"),
        );
    }
    o.str("id", &pool.id);
    if let Some(name) = &pool.display_name {
        o.str("displayName", name);
    }
    o.str("url", &format!("{base}/pools/{}", pool.id));
    o.str("eTag", &crate::json::etag(pool.last_modified));
    o.time("lastModified", pool.last_modified);
    o.time("creationTime", pool.creation_time);
    o.str(
        "state",
        match pool.state {
            Lifecycle::Active => "active",
            Lifecycle::Deleting => "deleting",
        },
    );
    o.time("stateTransitionTime", pool.state_transition_time);
    o.str("allocationState", pool.allocation.name());
    o.time(
        "allocationStateTransitionTime",
        pool.allocation_transition_time,
    );
    o.str("vmSize", &pool.vm_size);
    o.str("resizeTimeout", &pool.resize_timeout.to_iso8601());
    o.int("currentDedicatedNodes", i64::from(pool.model.current(true)));
    o.int("targetDedicatedNodes", i64::from(pool.target_dedicated));
    o.int(
        "currentLowPriorityNodes",
        i64::from(pool.model.current(false)),
    );
    o.int(
        "targetLowPriorityNodes",
        i64::from(pool.target_low_priority),
    );
    if pool.allocation == crate::pool::Allocation::Steady && !pool.resize_errors.is_empty() {
        let errors: Vec<String> = pool
            .resize_errors
            .iter()
            .map(|e| {
                let mut x = Obj::new();
                x.str("code", &e.code).str("message", &e.message);
                x.finish()
            })
            .collect();
        o.raw("resizeErrors", &format!("[{}]", errors.join(",")));
    }
    o.bool("enableAutoScale", pool.autoscale.is_some());
    if let Some(auto) = &pool.autoscale {
        o.str("autoScaleFormula", &auto.formula);
        o.str("autoScaleEvaluationInterval", &auto.interval.to_iso8601());
        if let Some(run) = &auto.run {
            o.raw("autoScaleRun", &run_json(run));
        }
    }
    o.bool("enableInterNodeCommunication", pool.inter_node);
    for name in [
        "networkConfiguration",
        "startTask",
        "certificateReferences",
        "applicationPackageReferences",
        "applicationLicenses",
    ] {
        if let Some(v) = pool.extra.get(name) {
            o.value(name, v);
        }
    }
    if let Some(Value::Array(users)) = pool.extra.get("userAccounts") {
        let cleaned: Vec<Value> = users
            .iter()
            .map(|u| {
                let mut u = u.clone();
                if let Value::Object(m) = &mut u {
                    m.remove("password");
                }
                u
            })
            .collect();
        o.value("userAccounts", &Value::Array(cleaned));
    }
    for name in ["metadata", "mountConfiguration"] {
        if let Some(v) = pool.extra.get(name) {
            o.value(name, v);
        }
    }
    o.int("taskSlotsPerNode", i64::from(pool.task_slots_per_node));
    o.raw(
        "taskSchedulingPolicy",
        match pool.fill {
            crate::model::Fill::Spread => r#"{"nodeFillType":"Spread"}"#,
            crate::model::Fill::Pack => r#"{"nodeFillType":"Pack"}"#,
        },
    );
    for name in ["virtualMachineConfiguration", "cloudServiceConfiguration"] {
        if let Some(v) = pool.extra.get(name) {
            o.value(name, v);
        }
    }
    let target_mode = pool
        .extra
        .get("targetNodeCommunicationMode")
        .and_then(Value::as_str);
    o.str(
        "currentNodeCommunicationMode",
        if target_mode == Some("simplified") {
            "simplified"
        } else {
            "classic"
        },
    );
    if let Some(mode) = target_mode {
        o.str("targetNodeCommunicationMode", mode);
    }
    for name in ["upgradePolicy", "resourceTags"] {
        if let Some(v) = pool.extra.get(name) {
            o.value(name, v);
        }
    }
    o.obj.finish()
}

/// ComputeNode.
pub fn node_json(
    node: &NodeInfo,
    pool: &Pool,
    base: &str,
    metadata: bool,
    select: Option<&[String]>,
) -> String {
    let dedicated = node.priority == Priority::Dedicated;
    let id = pool.model.node_id(node.id, dedicated);
    let mut o = Sel {
        obj: Obj::new(),
        select,
    };
    if metadata {
        o.obj.str(
            "odata.metadata",
            &format!("{base}/$metadata#nodes/@Element"),
        );
    }
    o.str("id", &id);
    o.str("url", &format!("{base}/pools/{}/nodes/{id}", pool.id));
    o.str("state", node.state.name());
    o.str("schedulingState", "enabled");
    o.time("stateTransitionTime", node.state_transition_time);
    o.time("lastBootTime", node.allocation_time);
    o.time("allocationTime", node.allocation_time);
    o.str("vmSize", &pool.vm_size);
    o.int("totalTasksRun", node.tasks_run as i64);
    o.int("totalTasksSucceeded", node.tasks_succeeded as i64);
    o.int("runningTasksCount", i64::from(node.running_tasks));
    o.int("runningTaskSlotsCount", i64::from(node.running_slots));
    o.bool("isDedicated", dedicated);
    o.obj.finish()
}

/// A list envelope.
pub fn list_json(base: &str, what: &str, items: &[String], next_link: Option<String>) -> String {
    let mut o = Obj::new();
    o.str("odata.metadata", &format!("{base}/$metadata#{what}"));
    o.raw("value", &format!("[{}]", items.join(",")));
    if let Some(link) = next_link {
        o.str("odata.nextLink", &link);
    }
    o.finish()
}
