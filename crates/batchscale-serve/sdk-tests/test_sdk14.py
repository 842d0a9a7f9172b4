"""azure-batch 14.2.0 (BatchServiceClient, api-version 2024-02-01.19.0) against
`batchscale serve`: every operation's success path, the error rows it can reach, and the
state-machine rows of emulator.md 6.1 on the manual clock."""

import datetime
import json

import pytest
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials
import azure.batch.models as m

from emu import ACCOUNT, KEY, run_eval

VM = m.VirtualMachineConfiguration(
    image_reference=m.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
    node_agent_sku_id="batch.node.ubuntu 22.04",
)


def client(server):
    c = BatchServiceClient(SharedKeyCredentials(ACCOUNT, KEY), batch_url=server.url)
    c.config.retry_policy.retries = 0
    return c


def fixed(pool_id, dedicated=0, low=None, vm_size="standard_d2s_v3", **kw):
    return m.PoolAddParameter(id=pool_id, vm_size=vm_size, virtual_machine_configuration=VM,
                              target_dedicated_nodes=dedicated, target_low_priority_nodes=low, **kw)


def auto(pool_id, formula, interval="PT15M", **kw):
    return m.PoolAddParameter(id=pool_id, vm_size="standard_d2s_v3", virtual_machine_configuration=VM,
                              enable_auto_scale=True, auto_scale_formula=formula,
                              auto_scale_evaluation_interval=interval, **kw)


def fails(fn, status, code=None):
    with pytest.raises(m.BatchErrorException) as e:
        fn()
    assert e.value.response.status_code == status, e.value.response.text
    if code:
        assert e.value.error.code == code
        assert "\nRequestId:" in e.value.error.message.value
        assert "\nTime:" in e.value.error.message.value
    return e.value


def values(err):
    return {v.key: v.value for v in (err.error.values or [])}


# --- every operation's success path ---------------------------------------------------


def test_add_get_and_the_cloud_pool_shape(server):
    c = client(server)
    c.pool.add(auto("shape1", "$TargetDedicatedNodes=1;", "PT6M",
                    metadata=[m.MetadataItem(name="k", value="v")]))
    p = c.pool.get("shape1")
    assert p.allocation_state == m.AllocationState.steady
    assert (p.current_dedicated_nodes, p.target_dedicated_nodes) == (1, 1)
    assert p.auto_scale_run.results == "$TargetDedicatedNodes=1;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue"
    assert p.auto_scale_evaluation_interval == datetime.timedelta(minutes=6)
    assert p.task_scheduling_policy.node_fill_type == m.ComputeNodeFillType.spread
    assert p.url == server.url + "/pools/shape1"
    assert p.metadata[0].name == "k"
    assert p.current_node_communication_mode == m.NodeCommunicationMode.classic
    # The raw body keeps the spec's field order and omits what does not apply.
    status, headers, body = server.raw("GET", "/pools/shape1", version="2024-02-01.19.0")
    keys = list(body)
    assert keys[:6] == ["odata.metadata", "id", "url", "eTag", "lastModified", "creationTime"]
    assert keys.index("autoScaleRun") < keys.index("enableInterNodeCommunication") < keys.index("taskSchedulingPolicy")
    assert "displayName" not in body and "resizeErrors" not in body
    assert headers["ETag"] == body["eTag"]
    assert body["eTag"] == p.e_tag
    assert body["lastModified"] == body["creationTime"] == body["autoScaleRun"]["timestamp"]


def test_list_with_paging_filter_select(server):
    c = client(server)
    for i in range(3):
        c.pool.add(fixed(f"lst-{i}", 0))
    ids = [p.id for p in c.pool.list(m.PoolListOptions(filter="startswith(id,'lst-')", max_results=1))]
    assert ids == ["lst-0", "lst-1", "lst-2"]
    sel = list(c.pool.list(m.PoolListOptions(filter="id eq 'LST-1'", select="id,state")))
    assert [(p.id, p.state, p.vm_size) for p in sel] == [("lst-1", m.PoolState.active, None)]
    e = fails(lambda: list(c.pool.list(m.PoolListOptions(filter="id gt 'a'"))), 400, "InvalidQueryParameterValue")
    assert values(e)["QueryParameterName"] == "$filter"
    # msrest refuses maxresults above 1000 itself; the raw request reaches the emulator.
    status, _, body = server.raw("GET", "/pools", {"maxresults": "1001"}, version="2024-02-01.19.0")
    assert (status, body["code"]) == (400, "OutOfRangeQueryParameterValue")
    fails(lambda: list(c.pool.list(m.PoolListOptions(select="id,nope"))), 400, "InvalidQueryParameterValue")
    fails(lambda: list(c.pool.list(m.PoolListOptions(expand="nodes"))), 400, "InvalidQueryParameterValue")
    assert [p.id for p in c.pool.list(m.PoolListOptions(filter="id eq 'lst-2'", expand="stats"))] == ["lst-2"]


def test_exists_delete_and_pool_not_found(server):
    c = client(server)
    c.pool.add(fixed("gone1", 1))
    assert c.pool.exists("gone1") is True
    c.pool.delete("gone1")
    assert c.pool.exists("gone1") is False
    fails(lambda: c.pool.get("gone1"), 404, "PoolNotFound")
    fails(lambda: c.pool.delete("gone1"), 404, "PoolNotFound")
    fails(lambda: c.pool.resize("gone1", m.PoolResizeParameter(target_dedicated_nodes=1)), 404, "PoolNotFound")
    fails(lambda: list(c.compute_node.list("gone1")), 404, "PoolNotFound")


def test_patch_and_update_properties(server):
    c = client(server)
    c.pool.add(fixed("upd1", 0, start_task=m.StartTask(command_line="echo hi"),
                     metadata=[m.MetadataItem(name="a", value="1")]))
    c.pool.patch("upd1", m.PoolPatchParameter(metadata=[m.MetadataItem(name="b", value="2")]))
    p = c.pool.get("upd1")
    assert [(x.name, x.value) for x in p.metadata] == [("b", "2")]
    assert p.start_task.command_line == "echo hi"
    c.pool.update_properties("upd1", m.PoolUpdatePropertiesParameter(
        certificate_references=[], application_package_references=[], metadata=[]))
    p = c.pool.get("upd1")
    # Full replace: the omitted start task is removed, the mode becomes default.
    assert p.start_task is None
    assert p.metadata == []
    assert p.target_node_communication_mode == m.NodeCommunicationMode.default


def test_autoscale_enable_evaluate_disable(server):
    c = client(server)
    c.pool.add(fixed("as1", 0))
    c.pool.enable_auto_scale("as1", auto_scale_formula="$TargetDedicatedNodes=2;",
                             auto_scale_evaluation_interval=datetime.timedelta(minutes=5))
    p = c.pool.get("as1")
    assert p.enable_auto_scale and p.current_dedicated_nodes == 2
    run = c.pool.evaluate_auto_scale("as1", "$TargetDedicatedNodes=$CurrentDedicatedNodes+1;")
    assert run.results.startswith("$TargetDedicatedNodes=3;")
    assert c.pool.get("as1").target_dedicated_nodes == 2  # evaluate stores nothing
    c.pool.disable_auto_scale("as1")
    p = c.pool.get("as1")
    assert not p.enable_auto_scale and p.auto_scale_formula is None and p.auto_scale_run is None
    assert p.target_dedicated_nodes == 2


def test_resize_stop_remove_nodes_and_nodes(server):
    c = client(server)
    c.pool.add(fixed("rs1", 2, 1))
    nodes = list(c.compute_node.list("rs1"))
    assert len(nodes) == 3
    assert all(n.id.startswith("tvmps_") and len(n.id) == 6 + 64 + 2 for n in nodes)
    assert sorted(n.is_dedicated for n in nodes) == [False, True, True]
    one = c.compute_node.get("rs1", nodes[0].id)
    assert one.state == m.ComputeNodeState.idle and one.scheduling_state == m.SchedulingState.enabled
    fails(lambda: c.compute_node.get("rs1", "tvmps_nope_d"), 404, "NodeNotFound")
    c.pool.remove_nodes("rs1", m.NodeRemoveParameter(node_list=[nodes[0].id]))
    p = c.pool.get("rs1")
    assert (p.current_dedicated_nodes, p.target_dedicated_nodes) == (1, 1)
    c.pool.resize("rs1", m.PoolResizeParameter(target_dedicated_nodes=4))
    assert c.pool.get("rs1").current_dedicated_nodes == 4
    c.pool.stop_resize("rs1")  # steady: nothing to stop, still 202
    paged = list(c.compute_node.list("rs1", m.ComputeNodeListOptions(max_results=2)))
    assert len(paged) == 5
    low = list(c.compute_node.list("rs1", m.ComputeNodeListOptions(filter="state eq 'idle'", select="id,isDedicated")))
    assert len(low) == 5 and low[0].state is None


def test_list_usage_metrics(server):
    c = client(server)
    c.pool.add(fixed("use1", 2, vm_size="standard_d4ds_v5"))
    server.advance("PT30M")
    metrics = [u for u in c.pool.list_usage_metrics() if u.pool_id == "use1"]
    assert len(metrics) == 1
    u = metrics[0]
    assert u.vm_size == "standard_d4ds_v5"
    assert u.end_time - u.start_time == datetime.timedelta(minutes=30)
    assert u.total_core_hours > 0


# --- error rows -------------------------------------------------------------------------


def test_pool_exists_any_case(server):
    c = client(server)
    c.pool.add(fixed("Case1", 0))
    e = fails(lambda: c.pool.add(fixed("CASE1", 0)), 409, "PoolExists")
    assert values(e)["Reason"] == "pool 'CASE1' already exists as 'Case1'"
    assert c.pool.get("case1").id == "Case1"


def test_body_errors_on_add(server):
    c = client(server)
    e = fails(lambda: c.pool.add(fixed("bad id!", 0)), 400, "InvalidPropertyValue")
    assert values(e)["PropertyName"] == "id"
    fails(lambda: c.pool.add(fixed("bad1", 0, resize_timeout=datetime.timedelta(minutes=4))), 400, "InvalidPropertyValue")
    fails(lambda: c.pool.add(auto("bad2", "$TargetDedicatedNodes=2*;")), 400, "AutoScalingFormulaSyntaxError")
    fails(lambda: c.pool.add(auto("bad3", "$TargetDedicatedNodes=1;" + " " * 8200)), 400, "AutoScalingFormulaTooLong")
    fails(lambda: c.pool.add(auto("bad4", "a=1;" * 101)), 400, "InvalidAutoScalingSettings")
    fails(lambda: c.pool.add(auto("bad5", "$TargetDedicatedNodes=1;", "PT4M")), 400, "InvalidPropertyValue")
    p = auto("bad6", "$TargetDedicatedNodes=1;")
    p.target_dedicated_nodes = 1
    fails(lambda: c.pool.add(p), 400, "InvalidAutoScalingSettings")
    e = fails(lambda: c.pool.add(m.PoolAddParameter(id="bad7", vm_size="x", virtual_machine_configuration=VM)),
              400, "MissingRequiredProperty")
    assert values(e)["PropertyName"] == "targetDedicatedNodes and/or targetLowPriorityNodes"
    fails(lambda: c.pool.add(fixed("bad8", 0, task_slots_per_node=9)), 400, "InvalidPropertyValue")
    assert not c.pool.exists("bad1")


def test_resize_with_an_empty_body_is_missing_required_property_before_the_lookup(server):
    c = client(server)
    e = fails(lambda: c.pool.resize("nosuchpool", m.PoolResizeParameter()), 400, "MissingRequiredProperty")
    assert values(e)["PropertyName"] == "targetDedicatedNodes and/or targetLowPriorityNodes"


def test_conditions_412_304_and_multiple(server):
    c = client(server)
    c.pool.add(fixed("cond1", 0))
    etag = c.pool.get("cond1").e_tag
    e = fails(lambda: c.pool.resize("cond1", m.PoolResizeParameter(target_dedicated_nodes=1),
                                    m.PoolResizeOptions(if_match="0x1")), 412, "ConditionNotMet")
    assert e.error.message.value.startswith("The condition specified in the conditional header(s) was not met for a write operation.")
    assert e.response.headers["ETag"] == etag
    fails(lambda: c.pool.get("cond1", m.PoolGetOptions(if_none_match=etag)), 304)
    e = fails(lambda: c.pool.get("cond1", m.PoolGetOptions(if_match="0x1")), 412, "ConditionNotMet")
    assert "read operation" in e.error.message.value
    c.pool.resize("cond1", m.PoolResizeParameter(target_dedicated_nodes=1), m.PoolResizeOptions(if_match=etag))
    assert c.pool.get("cond1").e_tag != etag
    fails(lambda: c.pool.get("cond1", m.PoolGetOptions(if_match="*", if_none_match="0x1")), 400,
          "MultipleConditionHeadersNotSupported")
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    fails(lambda: c.pool.get("cond1", m.PoolGetOptions(if_modified_since=future)), 304)


def test_409_rows(start):
    s = start("--allocation-delay", "PT1M", "--deletion-delay", "PT1M")
    c = client(s)
    c.pool.add(auto("auto1", "$TargetDedicatedNodes=0;"))
    e = fails(lambda: c.pool.resize("auto1", m.PoolResizeParameter(target_dedicated_nodes=1)), 409,
              "OperationInvalidForCurrentState")
    assert "Reason" in values(e)
    c.pool.add(fixed("fix1", 2))
    fails(lambda: c.pool.evaluate_auto_scale("fix1", "$TargetDedicatedNodes=1;"), 409, "OperationInvalidForCurrentState")
    e = fails(lambda: c.pool.resize("fix1", m.PoolResizeParameter(target_dedicated_nodes=1)), 409, "PoolBeingResized")
    assert values(e)["Reason"] == "allocationState is resizing"
    fails(lambda: c.pool.remove_nodes("fix1", m.NodeRemoveParameter(node_list=["x"])), 409, "PoolBeingResized")
    fails(lambda: c.pool.enable_auto_scale("fix1", auto_scale_formula="$TargetDedicatedNodes=1;"), 409, "PoolBeingResized")
    c.pool.delete("fix1")
    for call in [lambda: c.pool.resize("fix1", m.PoolResizeParameter(target_dedicated_nodes=1)),
                 lambda: c.pool.delete("fix1"),
                 lambda: c.pool.patch("fix1", m.PoolPatchParameter(metadata=[])),
                 lambda: c.pool.add(fixed("FIX1", 0))]:
        fails(call, 409, "PoolBeingDeleted")


def test_decided_enable_throttle_counts_autoscale_add(server):
    c = client(server)
    c.pool.add(auto("thr1", "$TargetDedicatedNodes=0;"))
    e = fails(lambda: c.pool.enable_auto_scale("thr1", auto_scale_formula="$TargetDedicatedNodes=1;"), 503,
              "TooManyEnableAutoScaleRequests")
    assert e.error.message.value.startswith("Too many Enable Pool AutoScale requests are issued on the pool.")
    server.advance("PT30S")  # exactly 30 s later is allowed
    c.pool.enable_auto_scale("thr1", auto_scale_formula="$TargetDedicatedNodes=1;")
    assert c.pool.get("thr1").current_dedicated_nodes == 1


def test_enable_body_rules(server):
    c = client(server)
    c.pool.add(fixed("en1", 0))
    e = fails(lambda: c.pool.enable_auto_scale("en1"), 400, "MissingRequiredProperty")
    assert values(e)["PropertyName"] == "autoScaleFormula"
    c.pool.enable_auto_scale("en1", auto_scale_formula="$TargetDedicatedNodes=0;")
    server.advance("PT30S")
    e = fails(lambda: c.pool.enable_auto_scale("en1"), 400, "MissingRequiredProperty")
    assert values(e)["PropertyName"] == "autoScaleFormula and/or autoScaleEvaluationInterval"
    fails(lambda: c.pool.enable_auto_scale("en1", auto_scale_formula="$TargetDedicatedNodes=(;"), 400,
          "AutoScalingFormulaSyntaxError")
    fails(lambda: c.pool.evaluate_auto_scale("en1", "$TargetDedicatedNodes=(;"), 400, "AutoScalingFormulaSyntaxError")


def test_run_time_errors_are_in_the_run_not_a_refusal(server):
    c = client(server)
    c.pool.add(auto("rt1", "$TargetDedicatedNodes = $PendingTasks.GetSample(1);"))
    p = c.pool.get("rt1")
    assert p.auto_scale_run.error is not None
    assert p.target_dedicated_nodes == 0
    run = c.pool.evaluate_auto_scale("rt1", "$TargetDedicatedNodes = nosuchname;")
    assert run.error.code == "AutoScalingFormulaEvaluationError"


# --- the state machine of 6.1 on the manual clock ----------------------------------------


def test_state_resize_joins_after_the_allocation_delay_and_keeps_the_etag(start):
    s = start("--allocation-delay", "PT1M")
    c = client(s)
    c.pool.add(fixed("sm1", 2))
    p = c.pool.get("sm1")
    assert (p.allocation_state, p.current_dedicated_nodes) == (m.AllocationState.resizing, 0)
    s.advance("PT59S")
    assert c.pool.get("sm1").current_dedicated_nodes == 0
    s.advance("PT1S")
    q = c.pool.get("sm1")
    assert (q.allocation_state, q.current_dedicated_nodes) == (m.AllocationState.steady, 2)
    assert q.e_tag == p.e_tag  # node-level events never change the ETag
    assert q.allocation_state_transition_time - p.creation_time == datetime.timedelta(minutes=1)


def test_state_resize_timeout_gives_allocation_timedout(start):
    s = start("--allocation-delay", "PT10M")
    c = client(s)
    c.pool.add(fixed("sm2", 1, resize_timeout=datetime.timedelta(minutes=5)))
    s.advance("PT5M")
    p = c.pool.get("sm2")
    assert p.allocation_state == m.AllocationState.steady
    assert p.current_dedicated_nodes == 0 and p.target_dedicated_nodes == 1
    assert [e.code for e in p.resize_errors] == ["AllocationTimedout"]
    assert p.resize_errors[0].message == "Desired number of dedicated nodes could not be allocated as the resize timeout was reached"


def test_state_stop_resize_stopping_then_steady_with_resize_stopped(start):
    s = start("--allocation-delay", "PT1M")
    c = client(s)
    c.pool.add(fixed("sm3", 2))
    etag = c.pool.get("sm3").e_tag
    c.pool.stop_resize("sm3")
    p = c.pool.get("sm3")
    assert p.allocation_state == m.AllocationState.stopping
    assert p.target_dedicated_nodes == 2 and p.e_tag == etag
    s.advance("PT1M")
    p = c.pool.get("sm3")
    assert p.allocation_state == m.AllocationState.steady and p.current_dedicated_nodes == 0
    assert [e.code for e in p.resize_errors] == ["ResizeStopped"]
    # The next resize clears them.
    c.pool.resize("sm3", m.PoolResizeParameter(target_dedicated_nodes=0))
    assert c.pool.get("sm3").resize_errors is None


def test_state_periodic_runs_at_anchor_plus_k_intervals(server):
    c = client(server)
    c.pool.add(auto("sm4", "$TargetDedicatedNodes = $CurrentDedicatedNodes + 1;", "PT5M"))
    p = c.pool.get("sm4")
    created = p.creation_time
    assert p.current_dedicated_nodes == 1
    server.advance("PT4M59S")
    assert c.pool.get("sm4").current_dedicated_nodes == 1
    server.advance("PT1S")
    p = c.pool.get("sm4")
    assert p.current_dedicated_nodes == 2
    assert p.auto_scale_run.timestamp - created == datetime.timedelta(minutes=5)
    assert p.last_modified == p.auto_scale_run.timestamp  # the targets changed: a pool-level change
    server.advance("PT10M")
    p = c.pool.get("sm4")
    assert p.current_dedicated_nodes == 4
    assert p.auto_scale_run.timestamp - created == datetime.timedelta(minutes=15)


def test_state_delete_deleting_then_gone(start):
    s = start("--deletion-delay", "PT1M")
    c = client(s)
    c.pool.add(fixed("sm5", 1))
    c.pool.delete("sm5")
    p = c.pool.get("sm5")
    assert p.state == m.PoolState.deleting and p.target_dedicated_nodes == 0
    s.advance("PT1M")
    assert not c.pool.exists("sm5")


def test_state_workload_drives_samples_and_replay_through_eval(server):
    c = client(server)
    formula = ("pending = $PendingTasks.GetSample(TimeInterval_Minute * 2);\n"
               "$TargetDedicatedNodes = min(10, max(0, avg(pending)));")
    c.pool.add(auto("wl1", "$TargetDedicatedNodes = 0;", "PT5M"))
    counts = server.workload("wl1", 6, "PT30M")
    assert counts == {"active": 6, "running": 0, "succeeded": 0, "failed": 0}
    server.advance("PT2M")
    run = c.pool.evaluate_auto_scale("wl1", formula)
    snap = server.snapshot("wl1")
    assert snap["metrics"]["$PendingTasks"]["period"] == "PT30S"
    raw = server.raw("POST", "/pools/wl1/evaluateautoscale", body={"autoScaleFormula": formula},
                     version="2024-02-01.19.0")[2]
    del raw["odata.metadata"]
    assert run_eval(formula, snap) == json.dumps(raw, separators=(",", ":"))
    assert "$TargetDedicatedNodes=6" in run.results
