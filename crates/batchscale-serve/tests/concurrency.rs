//! Many clients at once on one pool: every response is one the spec allows, no
//! acknowledged change is lost, and the final state equals a serial order of the
//! acknowledged requests (the ETag, `lastModified` after each change, gives that order).

mod common;

use std::sync::Arc;

use common::{Emu, V15};

fn counter(body: &serde_json::Value) -> u64 {
    body["metadata"]
        .as_array()
        .and_then(|m| m.first())
        .and_then(|i| i["value"].as_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn if_match_loses_no_update_under_contention() {
    let emu = Arc::new(Emu::new(0, 0));
    emu.add_fixed("a", 0, 0).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let emu = emu.clone();
        tasks.push(tokio::spawn(async move {
            let (mut done, mut conflicts) = (0, 0);
            while done < 10 {
                let got = emu.get_pool("a").await;
                let etag = got.headers["ETag"].to_str().unwrap().to_string();
                let next = counter(got.body.as_ref().unwrap()) + 1;
                let body = format!(r#"{{"metadata":[{{"name":"n","value":"{next}"}}]}}"#);
                let r = emu
                    .send(
                        "PATCH",
                        &format!("/pools/a?api-version={V15}"),
                        Some(&body),
                        &[("If-Match", &etag)],
                    )
                    .await;
                match r.status.as_u16() {
                    200 => done += 1,
                    412 => {
                        assert_eq!(r.code(), "ConditionNotMet");
                        conflicts += 1;
                    }
                    other => panic!("PATCH answered {other}: {:?}", r.body),
                }
            }
            conflicts
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let body = emu.get_pool("a").await.body.unwrap();
    assert_eq!(counter(&body), 80, "an acknowledged update was lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resizes_end_in_the_last_acknowledged_one() {
    let emu = Arc::new(Emu::new(0, 0));
    emu.add_fixed("b", 0, 0).await;
    let mut tasks = Vec::new();
    for worker in 0..8u32 {
        let emu = emu.clone();
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for i in 0..10u32 {
                let target = worker * 10 + i + 1;
                let body = format!(r#"{{"targetDedicatedNodes":{target}}}"#);
                let r = emu
                    .send(
                        "POST",
                        &format!("/pools/b/resize?api-version={V15}"),
                        Some(&body),
                        &[],
                    )
                    .await;
                match r.status.as_u16() {
                    202 => {
                        let etag = r.headers["ETag"].to_str().unwrap();
                        acks.push((i64::from_str_radix(&etag[2..], 16).unwrap(), target));
                    }
                    409 => assert_eq!(r.code(), "PoolBeingResized"),
                    other => panic!("resize answered {other}: {:?}", r.body),
                }
                let g = emu.get_pool("b").await;
                assert_eq!(g.status, 200);
            }
            acks
        }));
    }
    let mut acks = Vec::new();
    for t in tasks {
        acks.extend(t.await.unwrap());
    }
    acks.sort();
    assert!(
        acks.windows(2).all(|w| w[0].0 < w[1].0),
        "two changes share an ETag"
    );
    let last = acks.last().unwrap().1;
    let body = emu.get_pool("b").await.body.unwrap();
    assert_eq!(body["targetDedicatedNodes"], last);
    assert_eq!(body["currentDedicatedNodes"], last);
    assert_eq!(body["allocationState"], "steady");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn enable_disable_delete_race_gives_only_allowed_answers() {
    let emu = Arc::new(Emu::new(0, 0));
    emu.add_fixed("c", 1, 0).await;
    let mut tasks = Vec::new();
    for worker in 0..12u32 {
        let emu = emu.clone();
        tasks.push(tokio::spawn(async move {
            let mut deleted = 0;
            for i in 0..6u32 {
                let (method, path, body) = match (worker + i) % 4 {
                    0 => (
                        "POST",
                        "enableautoscale",
                        Some(format!(
                            r#"{{"autoScaleFormula":"$TargetDedicatedNodes={i};"}}"#
                        )),
                    ),
                    1 => ("POST", "disableautoscale", None),
                    2 => (
                        "POST",
                        "resize",
                        Some(format!(r#"{{"targetDedicatedNodes":{i}}}"#)),
                    ),
                    _ => ("DELETE", "", None),
                };
                let url = if path.is_empty() {
                    format!("/pools/c?api-version={V15}")
                } else {
                    format!("/pools/c/{path}?api-version={V15}")
                };
                let r = emu.send(method, &url, body.as_deref(), &[]).await;
                let allowed: &[(u16, &str)] = match (method, path) {
                    ("DELETE", _) => &[(202, ""), (409, "PoolBeingDeleted"), (404, "PoolNotFound")],
                    (_, "enableautoscale") => &[
                        (200, ""),
                        (503, "TooManyEnableAutoScaleRequests"),
                        (409, "PoolBeingDeleted"),
                        (409, "PoolBeingResized"),
                        (404, "PoolNotFound"),
                    ],
                    (_, "disableautoscale") => {
                        &[(200, ""), (409, "PoolBeingDeleted"), (404, "PoolNotFound")]
                    }
                    _ => &[
                        (202, ""),
                        (409, "OperationInvalidForCurrentState"),
                        (409, "PoolBeingDeleted"),
                        (409, "PoolBeingResized"),
                        (404, "PoolNotFound"),
                    ],
                };
                let got = (r.status.as_u16(), r.code());
                assert!(allowed.contains(&got), "{method} {path}: {got:?}");
                if method == "DELETE" && got.0 == 202 {
                    deleted += 1;
                }
            }
            deleted
        }));
    }
    let mut deletes = 0;
    for t in tasks {
        deletes += t.await.unwrap();
    }
    assert_eq!(deletes, 1, "exactly one delete is acknowledged");
    assert_eq!(emu.get_pool("c").await.status, 404);
}
