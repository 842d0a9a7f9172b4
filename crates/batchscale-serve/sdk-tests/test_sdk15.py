"""azure-batch 15.1.0 (BatchClient, api-version 2025-06-01) against `batchscale serve`:
every operation's success path, the error rows it can reach, the LRO pollers on a fast
real clock, and the 15.1.0 pool_exists bug."""

import datetime
import threading

import pytest
from azure.batch import BatchClient, models as m
from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from emu import ACCOUNT, KEY

VM = m.VirtualMachineConfiguration(
    image_reference=m.BatchVmImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
    node_agent_sku_id="batch.node.ubuntu 22.04",
)


def client(server):
    return BatchClient(server.url, AzureNamedKeyCredential(ACCOUNT, KEY), retry_total=0)


def fixed(pool_id, dedicated=0, **kw):
    return m.BatchPoolCreateOptions(id=pool_id, vm_size="standard_d2s_v3", virtual_machine_configuration=VM,
                                    target_dedicated_nodes=dedicated, **kw)


def auto(pool_id, formula, interval="PT15M"):
    return m.BatchPoolCreateOptions(id=pool_id, vm_size="standard_d2s_v3", virtual_machine_configuration=VM,
                                    enable_auto_scale=True, auto_scale_formula=formula,
                                    auto_scale_evaluation_interval=interval)


def fails(fn, status, code=None):
    with pytest.raises(HttpResponseError) as e:
        fn()
    assert e.value.status_code == status, e.value
    if code:
        assert e.value.error.code == code
    return e.value


def test_every_pool_operation_succeeds(server):
    c = client(server)
    c.create_pool(fixed("p15", 2, metadata=[m.BatchMetadataItem(name="k", value="v")]))
    p = c.get_pool("p15")
    assert (p.allocation_state, p.current_dedicated_nodes) == (m.AllocationState.STEADY, 2)
    assert p.etag.startswith("0x")
    assert [x.id for x in c.list_pools(filter="id eq 'p15'")] == ["p15"]
    nodes = list(c.list_nodes("p15"))
    assert len(nodes) == 2 and c.get_node("p15", nodes[1].id).id == nodes[1].id
    c.begin_remove_nodes("p15", m.BatchNodeRemoveOptions(node_ids=[nodes[0].id]), polling_interval=1).result()
    assert c.get_pool("p15").current_dedicated_nodes == 1
    c.begin_resize_pool("p15", m.BatchPoolResizeOptions(target_dedicated_nodes=3), polling_interval=1).result()
    assert c.get_pool("p15").current_dedicated_nodes == 3
    c.begin_stop_pool_resize("p15", polling_interval=1).result()
    c.enable_pool_auto_scale("p15", m.BatchPoolEnableAutoScaleOptions(
        auto_scale_formula="$TargetDedicatedNodes=1;", auto_scale_evaluation_interval=datetime.timedelta(minutes=5)))
    p = c.get_pool("p15")
    assert p.enable_auto_scale and p.current_dedicated_nodes == 1
    assert p.auto_scale_evaluation_interval == datetime.timedelta(minutes=5)
    run = c.evaluate_pool_auto_scale("p15", m.BatchPoolEvaluateAutoScaleOptions(auto_scale_formula="$TargetDedicatedNodes=5;"))
    assert run.results.startswith("$TargetDedicatedNodes=5;")
    c.disable_pool_auto_scale("p15")
    c.update_pool("p15", m.BatchPoolUpdateOptions(metadata=[m.BatchMetadataItem(name="a", value="b")]))
    assert c.get_pool("p15").metadata[0].name == "a"
    c.replace_pool_properties("p15", m.BatchPoolReplaceOptions(application_package_references=[], metadata=[]))
    assert c.get_pool("p15").metadata == []
    server.advance("PT30M")
    usage = [u for u in c.list_pool_usage_metrics(filter="poolId eq 'p15'")]
    assert len(usage) == 1 and usage[0].vm_size == "standard_d2s_v3"
    assert c.pool_exists("p15") is True
    c.begin_delete_pool("p15", polling_interval=1).result()
    fails(lambda: c.get_pool("p15"), 404, "PoolNotFound")


def test_paging_with_maxresults_1_and_the_api_version_replaced_in_next_links(server):
    c = client(server)
    for i in range(3):
        c.create_pool(fixed(f"pg-{i}"))
    assert [p.id for p in c.list_pools(filter="startswith(id, 'pg-')", max_results=1)] == ["pg-0", "pg-1", "pg-2"]
    usage = list(c.list_pool_usage_metrics(max_results=1, start_time=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)))
    assert len({(u.pool_id, u.start_time) for u in usage}) == len(usage)


def test_patch_2025_only_when_empty_fields(server):
    c = client(server)
    c.create_pool(fixed("emp1", 1))
    e = fails(lambda: c.update_pool("emp1", m.BatchPoolUpdateOptions(vm_size="standard_d4s_v3")), 409,
              "OperationInvalidForCurrentState")
    assert e.error.details  # the Reason
    c.create_pool(fixed("emp2", 0))
    c.update_pool("emp2", m.BatchPoolUpdateOptions(vm_size="standard_d4s_v3", task_slots_per_node=8,
                                                   display_name="two"))
    p = c.get_pool("emp2")
    assert (p.vm_size, p.task_slots_per_node, p.display_name) == ("standard_d4s_v3", 8, "two")


def test_error_rows_through_15(server):
    c = client(server)
    c.create_pool(fixed("e15"))
    fails(lambda: c.create_pool(fixed("E15")), 409, "PoolExists")
    fails(lambda: c.get_pool("none15"), 404, "PoolNotFound")
    fails(lambda: c.get_node("e15", "tvmps_x_d"), 404, "NodeNotFound")
    etag = c.get_pool("e15").etag
    fails(lambda: c.begin_resize_pool("e15", m.BatchPoolResizeOptions(target_dedicated_nodes=1),
                                      etag="0x1", match_condition=MatchConditions.IfNotModified), 412, "ConditionNotMet")
    # The quoted If-Match of 15.x matches once its quotes are stripped.
    c.begin_resize_pool("e15", m.BatchPoolResizeOptions(target_dedicated_nodes=1), etag=etag,
                        match_condition=MatchConditions.IfNotModified, polling_interval=1).result()
    fails(lambda: c.evaluate_pool_auto_scale("e15", m.BatchPoolEvaluateAutoScaleOptions(auto_scale_formula="$TargetDedicatedNodes=1;")),
          409, "OperationInvalidForCurrentState")
    fails(lambda: c.create_pool(auto("e15b", "$TargetDedicatedNodes=(;")), 400, "AutoScalingFormulaSyntaxError")
    fails(lambda: c.begin_resize_pool("e15", m.BatchPoolResizeOptions(target_dedicated_nodes=1,
                                      resize_timeout=datetime.timedelta(minutes=1))), 400, "InvalidPropertyValue")


def test_pool_exists_bug_of_15_1_0_raises_on_the_raw_404(server):
    c = client(server)
    with pytest.raises(ResourceNotFoundError) as e:
        c.pool_exists("not-there")
    assert e.value.status_code == 404
    status, _, body = server.raw("HEAD", "/pools/not-there")
    assert (status, body) == (404, None)


def test_pollers_on_a_fast_real_clock(start):
    s = start("--clock", "real", "--clock-rate", "60", "--allocation-delay", "PT30S", manual=False)
    c = client(s)
    c.create_pool(fixed("lro1", 0))
    c.begin_resize_pool("lro1", m.BatchPoolResizeOptions(target_dedicated_nodes=2), polling_interval=1).result()
    p = c.get_pool("lro1")
    assert (p.allocation_state, p.current_dedicated_nodes) == (m.AllocationState.STEADY, 2)
    nodes = [n.id for n in c.list_nodes("lro1")]
    c.begin_remove_nodes("lro1", m.BatchNodeRemoveOptions(node_ids=nodes[:1]), polling_interval=1).result()
    assert c.get_pool("lro1").current_dedicated_nodes == 1
    c.begin_resize_pool("lro1", m.BatchPoolResizeOptions(target_dedicated_nodes=3), polling_interval=1)
    c.begin_stop_pool_resize("lro1", polling_interval=1).result()
    assert c.get_pool("lro1").allocation_state == m.AllocationState.STEADY
    c.begin_delete_pool("lro1", polling_interval=1).result()
    fails(lambda: c.get_pool("lro1"), 404, "PoolNotFound")


def test_pollers_wait_while_a_test_moves_the_manual_clock(start):
    s = start("--allocation-delay", "PT1M")
    c = client(s)
    c.create_pool(fixed("lro2", 0))
    poller = c.begin_resize_pool("lro2", m.BatchPoolResizeOptions(target_dedicated_nodes=1), polling_interval=1)
    assert not poller.done()
    mover = threading.Thread(target=lambda: s.advance("PT1M"))
    mover.start()
    poller.result()
    mover.join()
    assert c.get_pool("lro2").current_dedicated_nodes == 1


def test_more_error_rows_through_15(start):
    s = start("--allocation-delay", "PT1M", "--deletion-delay", "PT1M")
    c = client(s)
    c.create_pool(fixed("m15", 1))
    etag = c.get_pool("m15").etag
    fails(lambda: c.get_pool("m15", etag=etag, match_condition=MatchConditions.IfModified), 304)
    fails(lambda: c.begin_resize_pool("m15", m.BatchPoolResizeOptions(target_dedicated_nodes=2)), 409, "PoolBeingResized")
    fails(lambda: c.get_pool("m15", etag=etag, match_condition=MatchConditions.IfNotModified,
                              if_modified_since=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)),
          400, "MultipleConditionHeadersNotSupported")
    fails(lambda: list(c.list_pools(filter="vmSize gt 'a'")), 400, "InvalidQueryParameterValue")
    c.create_pool(auto("a15", "$TargetDedicatedNodes=0;"))
    fails(lambda: c.enable_pool_auto_scale("a15", m.BatchPoolEnableAutoScaleOptions(auto_scale_formula="$TargetDedicatedNodes=0;")),
          503, "TooManyEnableAutoScaleRequests")
    fails(lambda: c.begin_resize_pool("a15", m.BatchPoolResizeOptions(target_dedicated_nodes=1)), 409,
          "OperationInvalidForCurrentState")
    c.begin_delete_pool("a15")
    fails(lambda: c.update_pool("a15", m.BatchPoolUpdateOptions(metadata=[])), 409, "PoolBeingDeleted")
    fails(lambda: c.create_pool(auto("A15", "$TargetDedicatedNodes=0;")), 409, "PoolBeingDeleted")
    s.advance("PT1M")
    assert [p.id for p in c.list_pools()] == ["m15"]
    s.advance("PT30M")  # the bucket closes (usage delay 0 under the manual clock)
    usage = list(c.list_pool_usage_metrics(start_time=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
                                           end_time=datetime.datetime(2999, 1, 1, tzinfo=datetime.timezone.utc)))
    assert {u.pool_id for u in usage} == {"m15", "a15"}  # the deleted pool is listed too
