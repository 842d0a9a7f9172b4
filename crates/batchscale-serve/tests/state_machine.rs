//! The state machine of emulator.md section 6 on the manual clock: a model-based property
//! test (random operations and clock moves against a small reference model; after each
//! step the pool as GET returns it matches the model), and rows pinned one by one.

mod common;

use common::{Emu, V15};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Add(u32, u32),
    Resize(u32, u32),
    Stop,
    Enable(u32),
    Disable,
    Delete,
    PatchCurrent,
    PatchStale,
    /// Remove the first listed node (its type decided by the pool, told to the reference).
    RemoveFirst,
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..4, 0u32..3).prop_map(|(d, l)| Op::Add(d, l)),
        (0u32..4, 0u32..3).prop_map(|(d, l)| Op::Resize(d, l)),
        Just(Op::Stop),
        (0u32..4).prop_map(Op::Enable),
        Just(Op::Disable),
        Just(Op::Delete),
        Just(Op::PatchCurrent),
        Just(Op::PatchStale),
        Just(Op::RemoveFirst),
        (1i64..5).prop_map(|k| Op::Advance(30 * k)),
        (1i64..3).prop_map(|k| Op::Advance(300 * k)),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Alloc {
    Steady,
    Resizing { until: i64, goal: (u32, u32) },
    Stopping { until: i64 },
}

#[derive(Debug, Clone)]
struct RefPool {
    deleting_until: Option<i64>,
    targets: (u32, u32),
    current: (u32, u32),
    alloc: Alloc,
    autoscale: Option<u32>,
    last_enable: Option<i64>,
    /// A stop left current and target apart; a later remove_nodes keeps them apart while
    /// clearing the `ResizeStopped` errors (every resize clears them), until a resize or
    /// enable aims at the targets again.
    apart_since_stop: bool,
}

/// The reference: one pool `p`, allocation and deletion delays of 60 s.
#[derive(Debug, Default)]
struct Reference {
    now: i64,
    pool: Option<RefPool>,
}

const DELAY: i64 = 60;

impl Reference {
    fn settle(&mut self, t: i64) {
        if let Some(p) = &mut self.pool {
            match p.alloc {
                Alloc::Resizing { until, goal } if until <= t => {
                    p.current = goal;
                    p.alloc = Alloc::Steady;
                }
                Alloc::Stopping { until } if until <= t => p.alloc = Alloc::Steady,
                _ => {}
            }
            if p.deleting_until.is_some_and(|u| u <= t) {
                self.pool = None;
            }
        }
    }

    fn resize_to(p: &mut RefPool, now: i64, goal: (u32, u32)) {
        p.targets = goal;
        p.apart_since_stop = false;
        p.alloc = if p.current == goal {
            Alloc::Steady
        } else {
            Alloc::Resizing {
                until: now + DELAY,
                goal,
            }
        };
    }

    /// remove_nodes of one node of a type (`dedicated`).
    fn remove_one(&mut self, dedicated: bool) -> (u16, &'static str, bool) {
        let now = self.now;
        let Some(p) = &mut self.pool else {
            return (404, "PoolNotFound", false);
        };
        if p.deleting_until.is_some() {
            return (409, "PoolBeingDeleted", false);
        }
        if p.alloc != Alloc::Steady {
            return (409, "PoolBeingResized", false);
        }
        let mut goal = p.current;
        if dedicated {
            goal.0 -= 1;
            p.targets.0 = p.targets.0.saturating_sub(1);
        } else {
            goal.1 -= 1;
            p.targets.1 = p.targets.1.saturating_sub(1);
        }
        p.alloc = Alloc::Resizing {
            until: now + DELAY,
            goal,
        };
        (202, "", true)
    }

    /// Applies an op; returns (expected status, expected code, whether the ETag changes).
    fn apply(&mut self, op: &Op) -> (u16, &'static str, bool) {
        let now = self.now;
        match op {
            Op::Advance(s) => {
                self.now += s;
                self.settle(self.now);
                (200, "", false)
            }
            Op::Add(d, l) => match &self.pool {
                Some(p) if p.deleting_until.is_some() => (409, "PoolBeingDeleted", false),
                Some(_) => (409, "PoolExists", false),
                None => {
                    let mut p = RefPool {
                        deleting_until: None,
                        targets: (0, 0),
                        current: (0, 0),
                        alloc: Alloc::Steady,
                        autoscale: None,
                        last_enable: None,
                        apart_since_stop: false,
                    };
                    Self::resize_to(&mut p, now, (*d, *l));
                    self.pool = Some(p);
                    (201, "", true)
                }
            },
            _ => {
                let Some(p) = &mut self.pool else {
                    return (404, "PoolNotFound", false);
                };
                let deleting = p.deleting_until.is_some();
                match op {
                    Op::PatchStale => (412, "ConditionNotMet", false),
                    _ if deleting => (409, "PoolBeingDeleted", false),
                    Op::PatchCurrent => (200, "", true),
                    Op::Resize(d, l) => {
                        if p.autoscale.is_some() {
                            (409, "OperationInvalidForCurrentState", false)
                        } else if p.alloc != Alloc::Steady {
                            (409, "PoolBeingResized", false)
                        } else {
                            Self::resize_to(p, now, (*d, *l));
                            (202, "", true)
                        }
                    }
                    Op::Stop => {
                        if let Alloc::Resizing { .. } = p.alloc {
                            p.alloc = Alloc::Stopping { until: now + DELAY };
                            p.apart_since_stop = p.current != p.targets;
                        }
                        (202, "", false)
                    }
                    Op::Enable(k) => {
                        if p.alloc != Alloc::Steady {
                            (409, "PoolBeingResized", false)
                        } else if p.last_enable.is_some_and(|e| now < e + 30) {
                            (503, "TooManyEnableAutoScaleRequests", false)
                        } else {
                            p.autoscale = Some(*k);
                            p.last_enable = Some(now);
                            let goal = (*k, p.targets.1);
                            if goal != p.targets {
                                Self::resize_to(p, now, goal);
                            }
                            (200, "", true)
                        }
                    }
                    Op::Disable => {
                        let was = p.autoscale.take().is_some();
                        (200, "", was)
                    }
                    Op::Delete => {
                        p.deleting_until = Some(now + DELAY);
                        p.targets = (0, 0);
                        p.alloc = Alloc::Resizing {
                            until: now + DELAY,
                            goal: (0, 0),
                        }; // The settings stay; the schedule stops.
                        (202, "", true)
                    }
                    Op::Add(..) | Op::Advance(_) | Op::RemoveFirst => unreachable!(),
                }
            }
        }
    }
}

async fn run_op(emu: &Emu, op: &Op, etag: &str) -> (u16, String) {
    let pool = format!("/pools/p?api-version={V15}");
    let action = |a: &str| format!("/pools/p/{a}?api-version={V15}");
    let r = match op {
        Op::Advance(s) => {
            emu.advance(*s).await;
            return (200, String::new());
        }
        Op::Add(d, l) => emu.add_fixed("p", *d, *l).await,
        Op::Resize(d, l) => {
            let body = format!(r#"{{"targetDedicatedNodes":{d},"targetLowPriorityNodes":{l}}}"#);
            emu.send("POST", &action("resize"), Some(&body), &[]).await
        }
        Op::Stop => emu.send("POST", &action("stopresize"), None, &[]).await,
        Op::Enable(k) => {
            // The longest interval (168 h): a sequence spans at most 24 × 600 s, so no
            // periodic run falls inside it, and the reference need not model the schedule
            // (6.3's periodic rows are pinned by the SDK suite's test_row_6_1_* tests).
            let body = format!(
                r#"{{"autoScaleFormula":"$TargetDedicatedNodes={k};","autoScaleEvaluationInterval":"P7D"}}"#
            );
            emu.send("POST", &action("enableautoscale"), Some(&body), &[])
                .await
        }
        Op::Disable => {
            emu.send("POST", &action("disableautoscale"), None, &[])
                .await
        }
        Op::Delete => emu.send("DELETE", &pool, None, &[]).await,
        Op::PatchCurrent => {
            emu.send(
                "PATCH",
                &pool,
                Some(r#"{"metadata":[]}"#),
                &[("If-Match", &format!("\"{etag}\""))],
            )
            .await
        }
        Op::PatchStale => {
            emu.send(
                "PATCH",
                &pool,
                Some(r#"{"metadata":[]}"#),
                &[("If-Match", "0x1")],
            )
            .await
        }
        Op::RemoveFirst => unreachable!("run by the test with the node it picked"),
    };
    (r.status.as_u16(), r.code().to_string())
}

fn check_against(reference: &Reference, got: &common::Reply) -> Result<(), TestCaseError> {
    let Some(p) = &reference.pool else {
        prop_assert_eq!(got.status.as_u16(), 404);
        return Ok(());
    };
    prop_assert_eq!(got.status.as_u16(), 200);
    let b = got.body.as_ref().unwrap();
    let n = |k: &str| b[k].as_u64().unwrap() as u32;
    let state = if p.deleting_until.is_some() {
        "deleting"
    } else {
        "active"
    };
    prop_assert_eq!(b["state"].as_str().unwrap(), state);
    let alloc = match p.alloc {
        Alloc::Steady => "steady",
        Alloc::Resizing { .. } => "resizing",
        Alloc::Stopping { .. } => "stopping",
    };
    prop_assert_eq!(b["allocationState"].as_str().unwrap(), alloc);
    prop_assert_eq!(
        (n("targetDedicatedNodes"), n("targetLowPriorityNodes")),
        p.targets
    );
    prop_assert_eq!(
        (n("currentDedicatedNodes"), n("currentLowPriorityNodes")),
        p.current
    );
    prop_assert_eq!(
        b["enableAutoScale"].as_bool().unwrap(),
        p.autoscale.is_some()
    );
    // Invariant: steady with current ≠ target only after a stop (ResizeStopped errors,
    // or a remove_nodes since the stop, which cleared them).
    if alloc == "steady" && p.current != p.targets && !p.apart_since_stop {
        let errors = b["resizeErrors"].as_array().map(|e| e.len()).unwrap_or(0);
        prop_assert!(
            errors > 0,
            "steady with current != target and no resize error: {b}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_match_the_reference_model(ops in prop::collection::vec(op(), 1..24)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let emu = Emu::new(DELAY, DELAY);
            let mut reference = Reference::default();
            let mut etag = String::new();
                        for op in &ops {
                let ((status, code, etag_changes), (got_status, got_code)) = if let Op::RemoveFirst = op {
                    let nodes = emu.send("GET", &format!("/pools/p/nodes?api-version={V15}"), None, &[]).await;
                    let first = nodes.body.as_ref().and_then(|b| b["value"].as_array().and_then(|v| v.first().cloned()));
                    let Some(node) = first else { continue };
                    let body = format!(r#"{{"nodeList":["{}"]}}"#, node["id"].as_str().unwrap());
                    let r = emu.send("POST", &format!("/pools/p/removenodes?api-version={V15}"), Some(&body), &[]).await;
                    (reference.remove_one(node["isDedicated"].as_bool().unwrap()), (r.status.as_u16(), r.code().to_string()))
                } else {
                    (reference.apply(op), run_op(&emu, op, &etag).await)
                };
                prop_assert_eq!((got_status, got_code.as_str()), (status, code), "{:?}", op);
                                let got = emu.get_pool("p").await;
                check_against(&reference, &got)?;
                // The list item (cached between changes) is the pool as GET shows it.
                if let (200, Some(mut single)) = (got.status.as_u16(), got.body.clone()) {
                    single.as_object_mut().unwrap().remove("odata.metadata");
                    let list = emu.send("GET", &format!("/pools?api-version={V15}"), None, &[]).await;
                    prop_assert_eq!(&list.body.as_ref().unwrap()["value"][0], &single);
                }
                let new_etag = got.body.as_ref().and_then(|b| b["eTag"].as_str()).unwrap_or("").to_string();
                if reference.pool.is_some() && !matches!(op, Op::Add(..)) && !etag.is_empty() {
                    prop_assert_eq!(new_etag != etag, etag_changes, "ETag change after {:?}", op);
                }
                etag = new_etag;
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn decided_last_modified_moves_100_ns_for_two_changes_in_one_instant() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("p", 0, 0).await;
    let first = emu.get_pool("p").await.headers["ETag"]
        .to_str()
        .unwrap()
        .to_string();
    let body = r#"{"metadata":[]}"#;
    emu.send(
        "PATCH",
        &format!("/pools/p?api-version={V15}"),
        Some(body),
        &[],
    )
    .await;
    let second = emu.get_pool("p").await.headers["ETag"]
        .to_str()
        .unwrap()
        .to_string();
    let ticks = |e: &str| i64::from_str_radix(&e[2..], 16).unwrap();
    assert_eq!(ticks(&second) - ticks(&first), 1);
}

#[tokio::test]
async fn decided_a_resize_under_the_manual_defaults_is_done_when_its_202_returns() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("p", 3, 2).await;
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["allocationState"], "steady");
    assert_eq!(
        (
            b["currentDedicatedNodes"].as_u64(),
            b["currentLowPriorityNodes"].as_u64()
        ),
        (Some(3), Some(2))
    );
}

#[tokio::test]
async fn decided_targets_above_1000_end_at_1000_with_account_core_quota_reached() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("p", 1001, 0).await;
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["targetDedicatedNodes"], 1001);
    assert_eq!(b["currentDedicatedNodes"], 1000);
    assert_eq!(b["allocationState"], "steady");
    assert_eq!(b["resizeErrors"][0]["code"], "AccountCoreQuotaReached");
}

#[tokio::test]
async fn decided_pool_being_deleted_takes_precedence_over_pool_being_resized() {
    let emu = Emu::new(60, 60);
    emu.add_fixed("p", 1, 0).await;
    emu.send("DELETE", &format!("/pools/p?api-version={V15}"), None, &[])
        .await;
    let r = emu
        .send(
            "POST",
            &format!("/pools/p/resize?api-version={V15}"),
            Some(r#"{"targetDedicatedNodes":2}"#),
            &[],
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "PoolBeingDeleted"));
}

#[tokio::test]
async fn decided_formula_only_enable_keeps_the_schedule_anchor() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("p", 0, 0).await;
    let emu = &emu;
    let enable = |f: &'static str, interval: Option<&'static str>| {
        let body = match interval {
            Some(i) => {
                format!(r#"{{"autoScaleFormula":"{f}","autoScaleEvaluationInterval":"{i}"}}"#)
            }
            None => format!(r#"{{"autoScaleFormula":"{f}"}}"#),
        };
        async move {
            emu.send(
                "POST",
                &format!("/pools/p/enableautoscale?api-version={V15}"),
                Some(&body),
                &[],
            )
            .await
        }
    };
    assert_eq!(
        enable("$TargetDedicatedNodes=1;", Some("PT5M"))
            .await
            .status,
        200
    );
    emu.advance(120).await;
    assert_eq!(enable("$TargetDedicatedNodes=2;", None).await.status, 200);
    emu.advance(180).await; // 10:05, anchor + 5 min
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["autoScaleRun"]["timestamp"], "2024-05-01T10:05:00Z");
    // An interval (even the same one) re-anchors.
    emu.advance(30).await;
    assert_eq!(
        enable("$TargetDedicatedNodes=2;", Some("PT5M"))
            .await
            .status,
        200
    );
    emu.advance(300).await;
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["autoScaleRun"]["timestamp"], "2024-05-01T10:10:30Z");
}

#[tokio::test]
async fn decided_autoscale_add_failure_sets_targets_0_and_the_run_error() {
    let emu = Emu::new(0, 0);
    let body = r#"{"id":"p","vmSize":"s","virtualMachineConfiguration":{"imageReference":{},"nodeAgentSKUId":"n"},"enableAutoScale":true,"autoScaleFormula":"$TargetDedicatedNodes=$ActiveTasks.GetSample(1);"}"#;
    let r = emu
        .send(
            "POST",
            &format!("/pools?api-version={V15}"),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(r.status, 201);
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["targetDedicatedNodes"], 0);
    assert!(b["autoScaleRun"]["error"]["code"].is_string());
    assert_eq!(b["autoScaleRun"]["timestamp"], b["creationTime"]);
}

#[tokio::test]
async fn decided_stop_resize_returns_leaving_nodes_and_keeps_targets() {
    let emu = Emu::new(60, 0);
    emu.add_fixed("p", 3, 0).await;
    emu.advance(60).await;
    emu.send(
        "POST",
        &format!("/pools/p/resize?api-version={V15}"),
        Some(r#"{"targetDedicatedNodes":1}"#),
        &[],
    )
    .await;
    let nodes = emu
        .send(
            "GET",
            &format!("/pools/p/nodes?api-version={V15}"),
            None,
            &[],
        )
        .await
        .body
        .unwrap();
    let leaving = nodes["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["state"] == "leavingpool")
        .count();
    assert_eq!(leaving, 2);
    emu.send(
        "POST",
        &format!("/pools/p/stopresize?api-version={V15}"),
        None,
        &[],
    )
    .await;
    let nodes = emu
        .send(
            "GET",
            &format!("/pools/p/nodes?api-version={V15}"),
            None,
            &[],
        )
        .await
        .body
        .unwrap();
    assert!(
        nodes["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["state"] == "idle")
    );
    emu.advance(60).await;
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(
        (
            b["targetDedicatedNodes"].as_u64(),
            b["currentDedicatedNodes"].as_u64()
        ),
        (Some(1), Some(3))
    );
    assert_eq!(b["resizeErrors"][0]["code"], "ResizeStopped");
}

#[tokio::test]
async fn decided_admin_endpoints_answer_only_loopback_peers() {
    let emu = Emu::new(0, 0);
    let r = emu
        .send_from(
            "GET",
            "/_emulator/health",
            None,
            &[],
            "192.0.2.7:5000".parse().unwrap(),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (403, "AdminEndpointLoopbackOnly")
    );
    let r = emu
        .send_from(
            "GET",
            "/_emulator/health",
            None,
            &[],
            "[::1]:5000".parse().unwrap(),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn decided_node_ids_hash_account_pool_creation_and_allocation_number() {
    use sha2::{Digest, Sha256};
    let emu = Emu::new(0, 0);
    emu.add_fixed("Pool1", 1, 1).await;
    let nodes = emu
        .send(
            "GET",
            &format!("/pools/pool1/nodes?api-version={V15}"),
            None,
            &[],
        )
        .await
        .body
        .unwrap();
    let created = common::start_instant().ticks();
    let ids: Vec<String> = nodes["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    let expect = |n: u32, suffix: &str| {
        let d = Sha256::digest(format!("devbatch/pool1/{created}/{n}").as_bytes());
        format!(
            "tvmps_{}_{suffix}",
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    assert_eq!(ids, vec![expect(1, "d"), expect(2, "p")]);
}
