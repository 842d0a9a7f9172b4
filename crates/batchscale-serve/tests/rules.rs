//! [decided] rules of emulator.md pinned one by one (COMPATIBILITY.md, section Emulator).

mod common;

use common::{Emu, V15};

#[tokio::test]
async fn decided_urls_start_with_the_request_host() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("p", 0, 0).await;
    let r = emu
        .send(
            "GET",
            &format!("/pools/p?api-version={V15}"),
            None,
            &[("Host", "emu.example:1234")],
        )
        .await;
    let b = r.body.unwrap();
    assert_eq!(b["url"], "http://emu.example:1234/pools/p");
    assert_eq!(
        b["odata.metadata"],
        "http://emu.example:1234/$metadata#pools/@Element"
    );
    let r = emu
        .send(
            "POST",
            &format!("/pools/p/resize?api-version={V15}"),
            Some(r#"{"targetDedicatedNodes":1}"#),
            &[("Host", "h:1")],
        )
        .await;
    assert_eq!(r.headers["DataServiceId"], "http://h:1/pools/p/resize");
}

#[tokio::test]
async fn decided_paging_tokens_hold_the_last_position() {
    let emu = Emu::new(0, 0);
    for id in ["a", "b", "c", "d"] {
        emu.add_fixed(id, 0, 0).await;
    }
    let first = emu
        .send(
            "GET",
            &format!("/pools?api-version={V15}&maxresults=2&timeout=5"),
            None,
            &[],
        )
        .await;
    let b = first.body.unwrap();
    let ids: Vec<&str> = b["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let next = b["odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(
            "http://127.0.0.1:8090/pools?api-version=2025-06-01&maxresults=2&$skiptoken="
        ),
        "{next}"
    );
    assert!(!next.contains("timeout"));
    // Items added and removed between pages are neither repeated nor skipped among the others.
    emu.send("DELETE", &format!("/pools/a?api-version={V15}"), None, &[])
        .await;
    emu.add_fixed("bb", 0, 0).await;
    let path = next.trim_start_matches("http://127.0.0.1:8090");
    let b = emu.send("GET", path, None, &[]).await.body.unwrap();
    let ids: Vec<&str> = b["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["bb", "c"]);
    let path = b["odata.nextLink"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8090")
        .to_string();
    let b = emu.send("GET", &path, None, &[]).await.body.unwrap();
    assert_eq!(b["value"].as_array().unwrap().len(), 1);
    assert!(
        b.get("odata.nextLink").is_none(),
        "a page that ends the list has no nextLink"
    );
}

#[tokio::test]
async fn decided_enums_match_case_insensitively_and_are_stored_lower_case() {
    let emu = Emu::new(0, 0);
    let body = r#"{"id":"p","vmSize":"s","virtualMachineConfiguration":{"imageReference":{},"nodeAgentSKUId":"n"},"targetDedicatedNodes":0,"targetNodeCommunicationMode":"Simplified","upgradePolicy":{"mode":"Manual"},"taskSchedulingPolicy":{"nodeFillType":"pack"}}"#;
    assert_eq!(
        emu.send(
            "POST",
            &format!("/pools?api-version={V15}"),
            Some(body),
            &[]
        )
        .await
        .status,
        201
    );
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["targetNodeCommunicationMode"], "simplified");
    assert_eq!(b["currentNodeCommunicationMode"], "simplified");
    assert_eq!(b["upgradePolicy"]["mode"], "manual");
    assert_eq!(b["taskSchedulingPolicy"]["nodeFillType"], "Pack");
    let r = emu
        .send(
            "POST",
            &format!("/pools/p/resize?api-version={V15}"),
            Some(r#"{"targetDedicatedNodes":1,"nodeDeallocationOption":"TaskCompletion"}"#),
            &[],
        )
        .await;
    assert_eq!(r.status, 202);
}

#[tokio::test]
async fn decided_a_target_not_given_in_a_resize_is_unchanged() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("p", 2, 3).await;
    emu.send(
        "POST",
        &format!("/pools/p/resize?api-version={V15}"),
        Some(r#"{"targetLowPriorityNodes":1}"#),
        &[],
    )
    .await;
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(
        (
            b["targetDedicatedNodes"].as_u64(),
            b["targetLowPriorityNodes"].as_u64()
        ),
        (Some(2), Some(1))
    );
}

#[tokio::test]
async fn decided_update_properties_under_2025_keeps_certificates_and_the_mode() {
    let emu = Emu::new(0, 0);
    let body = r#"{"id":"p","vmSize":"s","virtualMachineConfiguration":{"imageReference":{},"nodeAgentSKUId":"n"},"targetDedicatedNodes":0,"certificateReferences":[{"thumbprint":"ab","thumbprintAlgorithm":"sha1"}],"targetNodeCommunicationMode":"classic","startTask":{"commandLine":"x"}}"#;
    emu.send(
        "POST",
        "/pools?api-version=2024-02-01.19.0",
        Some(body),
        &[],
    )
    .await;
    let r = emu
        .send(
            "POST",
            &format!("/pools/p/updateproperties?api-version={V15}"),
            Some(r#"{"applicationPackageReferences":[],"metadata":[]}"#),
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["certificateReferences"][0]["thumbprint"], "ab");
    assert_eq!(b["targetNodeCommunicationMode"], "classic");
    assert!(b.get("startTask").is_none());
}

#[tokio::test]
async fn decided_usage_lists_every_pool_of_a_bucket_deleted_and_idle_ones_included() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("busy", 2, 0).await;
    emu.add_fixed("idle", 0, 0).await;
    emu.add_fixed("gone", 1, 0).await;
    emu.advance(600).await;
    emu.send(
        "DELETE",
        &format!("/pools/gone?api-version={V15}"),
        None,
        &[],
    )
    .await;
    emu.advance(1200).await; // 10:30
    let b = emu
        .send(
            "GET",
            &format!("/poolusagemetrics?api-version={V15}"),
            None,
            &[],
        )
        .await
        .body
        .unwrap();
    let items = b["value"].as_array().unwrap();
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["poolId"] == id)
            .unwrap_or_else(|| panic!("{id}: {b}"))
    };
    assert_eq!(by_id("busy")["totalCoreHours"], 2.0); // 2 nodes × 2 cores × 0.5 h
    assert_eq!(by_id("idle")["totalCoreHours"], 0.0);
    assert!((by_id("gone")["totalCoreHours"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12); // 1 × 2 × 10 min
    assert_eq!(by_id("busy")["startTime"], "2024-05-01T10:00:00Z");
    assert_eq!(by_id("busy")["endTime"], "2024-05-01T10:30:00Z");
    // starttime ≤ startTime < endtime, filtered on poolId.
    let r = emu
        .send("GET", &format!("/poolusagemetrics?api-version={V15}&startTime=2024-05-01T10:00:00Z&endtime=2024-05-01T10:00:01Z&$filter=poolId%20eq%20%27BUSY%27"), None, &[])
        .await;
    assert_eq!(r.body.unwrap()["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn decided_runs_continue_while_resizing_and_the_timeout_applies_to_autoscale_resizes() {
    let emu = Emu::new(600, 0); // joins take 10 minutes
    let body = r#"{"id":"p","vmSize":"s","virtualMachineConfiguration":{"imageReference":{},"nodeAgentSKUId":"n"},"enableAutoScale":true,"autoScaleEvaluationInterval":"PT5M","resizeTimeout":"PT6M","autoScaleFormula":"$TargetDedicatedNodes=2;"}"#;
    emu.send(
        "POST",
        &format!("/pools?api-version={V15}"),
        Some(body),
        &[],
    )
    .await;
    assert_eq!(
        emu.get_pool("p").await.body.unwrap()["allocationState"],
        "resizing"
    );
    emu.advance(300).await;
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["autoScaleRun"]["timestamp"], "2024-05-01T10:05:00Z");
    assert_eq!(b["allocationState"], "resizing");
    emu.advance(60).await; // 10:06: the pool's resizeTimeout
    let b = emu.get_pool("p").await.body.unwrap();
    assert_eq!(b["allocationState"], "steady");
    assert_eq!(b["resizeErrors"][0]["code"], "AllocationTimedout");
}

#[tokio::test]
async fn decided_injected_metrics_are_visible_at_their_time_without_lag() {
    let emu = Emu::new(0, 0);
    emu.add_fixed("p", 0, 0).await;
    let body = r#"{"CPUPercent":{"samples":[{"time":"2024-05-01T10:00:00Z","value":70},{"time":"2024-05-01T10:01:00Z","value":80}]}}"#;
    let r = emu
        .send("PUT", "/_emulator/pools/p/metrics", Some(body), &[])
        .await;
    assert_eq!(r.status, 204);
    let snap = emu
        .send("GET", "/_emulator/pools/p/snapshot", None, &[])
        .await
        .body
        .unwrap();
    assert_eq!(
        snap["metrics"]["$CPUPercent"]["samples"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    emu.advance(60).await;
    let snap = emu
        .send("GET", "/_emulator/pools/p/snapshot", None, &[])
        .await
        .body
        .unwrap();
    assert_eq!(
        snap["metrics"]["$CPUPercent"]["samples"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(snap["evaluationTime"], "2024-05-01T10:01:00Z");
}
