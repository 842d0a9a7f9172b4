"""Every error row of emulator.md section 4 and every state-machine row of section 6.1, one
test each, named after the row (raw HTTP, standard library only; the SDK tests exercise the
same rows through the SDKs)."""

import itertools

import pytest

from emu import Server, V14, V15

_ids = itertools.count()


def pool_body(pool_id, **kw):
    body = {"id": pool_id, "vmSize": "standard_d2s_v3",
            "virtualMachineConfiguration": {"imageReference": {"publisher": "p"}, "nodeAgentSKUId": "n"},
            "targetDedicatedNodes": 0}
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture(scope="module")
def slow():
    """Joins, departures, stops and deletions take a minute of the manual clock."""
    s = Server("--allocation-delay", "PT1M", "--deletion-delay", "PT1M")
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def strict():
    s = Server("--strict")
    yield s
    assert s.stop() == 0


def new_pool(s, **kw):
    pool_id = f"r{next(_ids)}"
    status, _, body = s.raw("POST", "/pools", body=pool_body(pool_id, **kw))
    assert status == 201, body
    return pool_id


def row(result, status, code, message):
    got_status, headers, body = result
    assert got_status == status, body
    if code:
        assert body["code"] == code
        assert body["message"]["value"].startswith(message + "\nRequestId:")
    return headers, body


# --- section 4 --------------------------------------------------------------------------


def test_row_4_path_not_served_501_not_implemented(slow):
    row(slow.raw("GET", "/jobs/j1/tasks"), 501, "NotImplemented",
        "batchscale serve does not implement this operation: GET /jobs/j1/tasks")


def test_row_4_served_path_other_verb_405_unsupported_http_verb(slow):
    headers, _ = row(slow.raw("POST", "/pools/x/nodes", body={}), 405, "UnsupportedHttpVerb",
                     "The resource doesn't support the specified HTTP verb.")
    assert headers["Allow"] == "GET"


def test_row_4_no_authorization_400_missing_required_header(slow):
    row(slow.raw("GET", "/pools", sign=False), 400, "MissingRequiredHeader",
        "An HTTP header that's mandatory for this request is not specified.")


def test_row_4_malformed_authorization_400_invalid_authentication_info(slow):
    row(slow.raw("GET", "/pools", headers={"Authorization": "SharedKey nocolon"}), 400, "InvalidAuthenticationInfo",
        "The authentication information was not provided in the correct format. Verify the value of Authorization header.")


def test_row_4_bearer_token_401_authentication_failed(slow):
    row(slow.raw("GET", "/pools", headers={"Authorization": "Bearer abc.def"}), 401, "AuthenticationFailed",
        "Server failed to authenticate the request. Verify that the value of Authorization header is formed correctly including the signature.")


@pytest.mark.parametrize("case", ["unknown account", "no date", "stale date", "bad date", "bad signature"])
def test_row_4_403_authentication_failed(slow, case):
    kw = {"unknown account": {"account": "nobody", "key": "AAAA"},
          "no date": {"headers": {"ocp-date": ""}},
          "stale date": {"date": "Mon, 01 Jan 2001 00:00:00 GMT"},
          "bad date": {"date": "1 Jan 2001"},
          "bad signature": {"key": "AAAA"}}[case]
    _, body = row(slow.raw("GET", "/pools", **kw), 403, "AuthenticationFailed",
                  "Server failed to authenticate the request. Verify that the value of Authorization header is formed correctly including the signature.")
    assert body["values"][0]["key"] == "AuthenticationErrorDetail"


def test_row_4_api_version_missing_400_missing_required_query_parameter(slow):
    row(slow.raw("GET", "/pools", version=None), 400, "MissingRequiredQueryParameter",
        "A query parameter that's mandatory for this request is not specified.")


def test_row_4_unknown_api_version_strict_400_unsupported_request_version(strict):
    row(strict.raw("GET", "/pools", version="2030-01-01"), 400, "UnsupportedRequestVersion",
        "The specified request version is not supported.")


def test_row_4_unknown_query_parameter_strict_400_unsupported_query_parameter(strict):
    row(strict.raw("GET", "/pools", {"verbose": "1"}), 400, "UnsupportedQueryParameter",
        "One of the query parameters specified in the request URI is not supported.")


@pytest.mark.parametrize("query", [{"maxresults": "ten"}, {"timeout": "1.5"}, {"$filter": "id gt 'a'"},
                                   {"$select": "nope"}, {"$expand": "all"}, {"$skiptoken": "x"}])
def test_row_4_bad_query_value_400_invalid_query_parameter_value(slow, query):
    _, body = row(slow.raw("GET", "/pools", query), 400, "InvalidQueryParameterValue",
                  "Value for one of the query parameters specified in the request URI is invalid.")
    assert [v["key"] for v in body["values"]] == ["QueryParameterName", "QueryParameterValue", "Reason"]


def test_row_4_bad_usage_times_400_invalid_query_parameter_value(slow):
    row(slow.raw("GET", "/poolusagemetrics", {"starttime": "yesterday"}), 400, "InvalidQueryParameterValue",
        "Value for one of the query parameters specified in the request URI is invalid.")


@pytest.mark.parametrize("query", [{"maxresults": "1001"}, {"maxresults": "0"}, {"timeout": "0"}])
def test_row_4_out_of_range_400_out_of_range_query_parameter_value(slow, query):
    row(slow.raw("GET", "/pools", query), 400, "OutOfRangeQueryParameterValue",
        "The query parameter value specified in the request URI is outside the permissible range.")


@pytest.mark.parametrize("header", [("client-request-id", "abc"), ("If-Unmodified-Since", "soon")])
def test_row_4_bad_header_400_invalid_header_value(slow, header):
    pool_id = new_pool(slow)
    row(slow.raw("GET", f"/pools/{pool_id}", headers=dict([header])), 400, "InvalidHeaderValue",
        "The value for one of the HTTP headers is not in the correct format.")


def test_row_4_bad_body_content_type_400_invalid_header_value(slow):
    row(slow.raw("POST", "/pools", body=pool_body("ct1"), headers={"Content-Type": "application/xml"}), 400,
        "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.")


def test_row_4_more_than_one_condition_400_multiple_condition_headers_not_supported(slow):
    pool_id = new_pool(slow)
    row(slow.raw("DELETE", f"/pools/{pool_id}", headers={"If-Match": "*", "If-None-Match": "0x1"}), 400,
        "MultipleConditionHeadersNotSupported", "Multiple condition headers are not supported.")


def test_row_4_body_over_1_mib_413_request_body_too_large(slow):
    row(slow.raw("POST", "/pools", body=b'{"id":"' + b"x" * (1 << 20) + b'"}'), 413, "RequestBodyTooLarge",
        "The request body is too large and exceeds the maximum permissible limit.")


@pytest.mark.parametrize("body", [b"nope", b"[]", b'{"id":"a","id":"b"}'])
def test_row_4_body_not_json_400_invalid_request_body(slow, body):
    row(slow.raw("POST", "/pools", body=body), 400, "InvalidRequestBody",
        "The specified Request Body is not syntactically valid.")


def test_row_4_required_property_missing_400_missing_required_property(slow):
    row(slow.raw("POST", "/pools", body={"id": "nosize"}), 400, "MissingRequiredProperty",
        "A required property was not specified in the request body.")


def test_row_4_unknown_property_strict_400_unsupported_property(strict):
    row(strict.raw("POST", "/pools", body=pool_body("sp1", color="red")), 400, "UnsupportedProperty",
        "One of the properties specified in the request body is not supported.")


@pytest.mark.parametrize("change", [{"id": "a b"}, {"displayName": "x" * 1025}, {"targetDedicatedNodes": -1},
                                    {"resizeTimeout": "PT4M"}, {"taskSlotsPerNode": 0},
                                    {"resizeTimeout": "P1Y"}, {"upgradePolicy": {"mode": "sometimes"}}])
def test_row_4_wrong_type_or_value_400_invalid_property_value(slow, change):
    body = pool_body(f"iv{next(_ids)}")
    body.update(change)
    _, err = row(slow.raw("POST", "/pools", body=body), 400, "InvalidPropertyValue",
                 "The value provided for one of the properties in the request body is invalid.")
    assert [v["key"] for v in err["values"]] == ["PropertyName", "PropertyValue", "Reason"]


def test_row_4_autoscale_branch_broken_400_invalid_auto_scaling_settings(slow):
    row(slow.raw("POST", "/pools", body=pool_body("ab1", autoScaleFormula="$TargetDedicatedNodes=1;")), 400,
        "InvalidAutoScalingSettings", "The specified auto-scaling settings are not valid.")


def test_row_4_formula_over_8192_characters_400_auto_scaling_formula_too_long(slow):
    body = pool_body("fl1", enableAutoScale=True, targetDedicatedNodes=None,
                     autoScaleFormula="$TargetDedicatedNodes=1;" + "\n" * 8200)
    row(slow.raw("POST", "/pools", body=body), 400, "AutoScalingFormulaTooLong",
        "The specified auto-scaling formula exceeds lengths limit.")


def test_row_4_formula_over_100_statements_400_invalid_auto_scaling_settings(slow):
    body = pool_body("fs1", enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="a=1;" * 101)
    row(slow.raw("POST", "/pools", body=body), 400, "InvalidAutoScalingSettings",
        "The specified auto-scaling settings are not valid.")


def test_row_4_formula_syntax_error_400_auto_scaling_formula_syntax_error(slow):
    pool_id = new_pool(slow, enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="$TargetDedicatedNodes=0;")
    for path, body in [("/pools", pool_body("se1", enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="x = ;")),
                       (f"/pools/{pool_id}/evaluateautoscale", {"autoScaleFormula": "x = ;"})]:
        _, err = row(slow.raw("POST", path, body=body), 400, "AutoScalingFormulaSyntaxError",
                     "The specified auto-scaling formula has a syntax error.")
        assert err["values"][0]["key"] == "Message" and err["values"][0]["value"].startswith("Line 1, Col ")


def test_row_4_pool_missing_404_pool_not_found(slow):
    for method, path in [("GET", "/pools/none"), ("GET", "/pools/none/nodes"), ("GET", "/pools/none/nodes/n1"),
                         ("DELETE", "/pools/none"), ("POST", "/pools/none/stopresize")]:
        row(slow.raw(method, path), 404, "PoolNotFound", "The specified pool does not exist.")


def test_row_4_head_on_a_missing_pool_404_no_body(slow):
    status, _, body = slow.raw("HEAD", "/pools/none")
    assert (status, body) == (404, None)


def test_row_4_node_missing_404_node_not_found(slow):
    pool_id = new_pool(slow)
    _, body = row(slow.raw("GET", f"/pools/{pool_id}/nodes/tvmps_x_d"), 404, "NodeNotFound",
                  "The specified node does not exist.")
    assert body["values"] == [{"key": "NodeId", "value": "tvmps_x_d"}]


def test_row_4_add_existing_id_409_pool_exists(slow):
    pool_id = new_pool(slow)
    _, body = row(slow.raw("POST", "/pools", body=pool_body(pool_id.upper())), 409, "PoolExists",
                  "The specified pool already exists.")
    assert body["values"][0]["key"] == "Reason"


def test_row_4_add_while_deleting_409_pool_being_deleted(slow):
    pool_id = new_pool(slow)
    slow.raw("DELETE", f"/pools/{pool_id}")
    row(slow.raw("POST", "/pools", body=pool_body(pool_id)), 409, "PoolBeingDeleted",
        "The specified pool has been marked for deletion and is being reclaimed.")


def test_row_4_any_change_on_a_deleting_pool_409_pool_being_deleted(slow):
    pool_id = new_pool(slow)
    slow.raw("DELETE", f"/pools/{pool_id}")
    for method, action, body in [("PATCH", "", {"metadata": []}), ("POST", "/resize", {"targetDedicatedNodes": 1}),
                                 ("POST", "/updateproperties", {"applicationPackageReferences": [], "metadata": []}),
                                 ("DELETE", "", None), ("POST", "/disableautoscale", None), ("POST", "/stopresize", None),
                                 ("POST", "/enableautoscale", {"autoScaleFormula": "$TargetDedicatedNodes=1;"})]:
        row(slow.raw(method, f"/pools/{pool_id}{action}", body=body), 409, "PoolBeingDeleted",
            "The specified pool has been marked for deletion and is being reclaimed.")
    # The admin workload endpoint refuses a deleting pool the same way.
    status, body = slow.admin("POST", f"/pools/{pool_id}/workload", {"count": 1, "duration": "PT1M"})
    assert (status, body["code"]) == (409, "PoolBeingDeleted")


def test_row_4_resize_of_an_autoscale_pool_409_operation_invalid_for_current_state(slow):
    pool_id = new_pool(slow, enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="$TargetDedicatedNodes=0;")
    row(slow.raw("POST", f"/pools/{pool_id}/resize", body={"targetDedicatedNodes": 1}), 409,
        "OperationInvalidForCurrentState", "The specified operation is not valid for the current state of the resource.")


def test_row_4_not_steady_409_pool_being_resized(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=1)
    for action, body in [("resize", {"targetDedicatedNodes": 2}), ("removenodes", {"nodeList": ["tvmps_x_d"]}),
                         ("enableautoscale", {"autoScaleFormula": "$TargetDedicatedNodes=1;"})]:
        _, err = row(slow.raw("POST", f"/pools/{pool_id}/{action}", body=body), 409, "PoolBeingResized",
                     "The specified pool is being resized.")
        assert err["values"] == [{"key": "Reason", "value": "allocationState is resizing"}]


def test_row_4_evaluate_without_autoscale_409_operation_invalid_for_current_state(slow):
    pool_id = new_pool(slow)
    row(slow.raw("POST", f"/pools/{pool_id}/evaluateautoscale", body={"autoScaleFormula": "$TargetDedicatedNodes=1;"}),
        409, "OperationInvalidForCurrentState", "The specified operation is not valid for the current state of the resource.")


def test_row_4_patch_2025_empty_only_field_on_a_non_empty_pool_409_operation_invalid_for_current_state(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=1)
    row(slow.raw("PATCH", f"/pools/{pool_id}", body={"taskSlotsPerNode": 2}), 409, "OperationInvalidForCurrentState",
        "The specified operation is not valid for the current state of the resource.")


def test_row_4_enable_within_30_s_503_too_many_enable_auto_scale_requests(slow):
    pool_id = new_pool(slow)
    enable = {"autoScaleFormula": "$TargetDedicatedNodes=0;"}
    assert slow.raw("POST", f"/pools/{pool_id}/enableautoscale", body=enable)[0] == 200
    row(slow.raw("POST", f"/pools/{pool_id}/enableautoscale", body=enable), 503, "TooManyEnableAutoScaleRequests",
        "Too many Enable Pool AutoScale requests are issued on the pool.")


@pytest.mark.parametrize("header", ["If-Match", "If-Unmodified-Since"])
def test_row_4_write_condition_fails_412_condition_not_met(slow, header):
    pool_id = new_pool(slow)
    value = "0x1" if header == "If-Match" else "Mon, 01 Jan 2001 00:00:00 GMT"
    headers, _ = row(slow.raw("PATCH", f"/pools/{pool_id}", body={"metadata": []}, headers={header: value}), 412,
                     "ConditionNotMet", "The condition specified in the conditional header(s) was not met for a write operation.")
    assert headers["ETag"].startswith("0x")


def test_row_4_write_none_match_matches_412_condition_not_met(slow):
    pool_id = new_pool(slow)
    row(slow.raw("POST", f"/pools/{pool_id}/stopresize", headers={"If-None-Match": "*"}), 412, "ConditionNotMet",
        "The condition specified in the conditional header(s) was not met for a write operation.")


@pytest.mark.parametrize("header", ["If-Match", "If-Unmodified-Since"])
def test_row_4_read_condition_fails_412_condition_not_met(slow, header):
    pool_id = new_pool(slow)
    value = "0x1" if header == "If-Match" else "Mon, 01 Jan 2001 00:00:00 GMT"
    row(slow.raw("GET", f"/pools/{pool_id}", headers={header: value}), 412, "ConditionNotMet",
        "The condition specified in the conditional header(s) was not met for a read operation.")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_row_4_read_not_modified_304_no_body(slow, method):
    pool_id = new_pool(slow)
    etag = slow.raw("GET", f"/pools/{pool_id}")[1]["ETag"]
    for headers in [{"If-None-Match": f'"{etag}"'}, {"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 GMT"}]:
        status, h, body = slow.raw(method, f"/pools/{pool_id}", headers=headers)
        assert (status, body, h["ETag"]) == (304, None, etag)


def test_row_4_formula_fails_at_run_time_200_with_the_run_error(slow):
    pool_id = new_pool(slow, enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="$TargetDedicatedNodes=0;")
    status, headers, body = slow.raw("POST", f"/pools/{pool_id}/evaluateautoscale", body={"autoScaleFormula": "$TargetDedicatedNodes=1/0;"})
    assert status == 200 and body["error"]["code"] == "AutoScalingFormulaEvaluationError"
    assert body["odata.metadata"].endswith("$metadata#Microsoft.Azure.Batch.Protocol.Entities.AutoScaleRun")
    assert "ETag" not in headers


def test_row_4_admin_unknown_account_404_account_not_found(slow):
    status, body = slow.admin("GET", "/pools/x/snapshot?account=nobody")
    assert (status, body["code"]) == (404, "AccountNotFound")


# --- section 6.1 ----------------------------------------------------------------------------


def get(s, pool_id):
    return s.raw("GET", f"/pools/{pool_id}")[2]


def test_row_6_1_add_fixed_size_is_a_resize(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=2, resizeTimeout="PT20M")
    p = get(slow, pool_id)
    assert (p["state"], p["allocationState"], p["targetDedicatedNodes"], p["resizeTimeout"]) == ("active", "resizing", 2, "PT20M")


def test_row_6_1_add_autoscale_runs_at_creation_and_counts_as_an_enable(slow):
    pool_id = new_pool(slow, enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="$TargetDedicatedNodes=1;")
    p = get(slow, pool_id)
    assert p["autoScaleRun"]["timestamp"] == p["creationTime"] == p["lastModified"]
    assert (p["targetDedicatedNodes"], p["allocationState"]) == (1, "resizing")


def test_row_6_1_resize_clears_resize_errors_and_changes_the_etag(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=1, resizeTimeout="PT5M")
    slow.raw("POST", f"/pools/{pool_id}/stopresize")
    slow.advance("PT1M")
    before = get(slow, pool_id)
    assert before["resizeErrors"][0]["code"] == "ResizeStopped"
    status, headers, _ = slow.raw("POST", f"/pools/{pool_id}/resize", body={"targetDedicatedNodes": 0})
    after = get(slow, pool_id)
    assert status == 202 and headers["ETag"] != before["eTag"] and "resizeErrors" not in after


def test_row_6_1_nodes_join_and_leave_keep_the_etag(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=1)
    etag = get(slow, pool_id)["eTag"]
    slow.advance("PT1M")
    p = get(slow, pool_id)
    assert (p["currentDedicatedNodes"], p["allocationState"], p["eTag"]) == (1, "steady", etag)


def test_row_6_1_resize_timeout_cancels_joins(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=1, resizeTimeout="PT5M")
    # The joins take a minute: shorter than the timeout, so the timeout never fires here.
    slow.advance("PT5M")
    p = get(slow, pool_id)
    assert (p["currentDedicatedNodes"], p["allocationState"]) == (1, "steady") and "resizeErrors" not in p


def test_row_6_1_stop_resize_while_resizing_is_stopping_then_steady(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=2)
    slow.raw("POST", f"/pools/{pool_id}/stopresize")
    assert get(slow, pool_id)["allocationState"] == "stopping"
    slow.advance("PT1M")
    p = get(slow, pool_id)
    assert (p["allocationState"], p["targetDedicatedNodes"], p["currentDedicatedNodes"]) == ("steady", 2, 0)


def test_row_6_1_stop_resize_while_steady_or_stopping_changes_nothing(slow):
    pool_id = new_pool(slow)
    before = get(slow, pool_id)
    assert slow.raw("POST", f"/pools/{pool_id}/stopresize")[0] == 202
    assert get(slow, pool_id) == before


def test_row_6_1_remove_nodes_lowers_the_targets(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=2)
    slow.advance("PT1M")
    node = slow.raw("GET", f"/pools/{pool_id}/nodes")[2]["value"][0]["id"]
    assert slow.raw("POST", f"/pools/{pool_id}/removenodes", body={"nodeList": [node], "resizeTimeout": "PT7M"})[0] == 202
    p = get(slow, pool_id)
    assert (p["allocationState"], p["targetDedicatedNodes"], p["resizeTimeout"]) == ("resizing", 1, "PT7M")
    states = {n["id"]: n["state"] for n in slow.raw("GET", f"/pools/{pool_id}/nodes")[2]["value"]}
    assert states[node] == "leavingpool"
    slow.advance("PT1M")
    assert get(slow, pool_id)["currentDedicatedNodes"] == 1


def test_row_6_1_enable_runs_at_once_and_resizes_to_the_run(slow):
    pool_id = new_pool(slow)
    status, headers, _ = slow.raw("POST", f"/pools/{pool_id}/enableautoscale",
                                  body={"autoScaleFormula": "$TargetDedicatedNodes=2;", "autoScaleEvaluationInterval": "PT05M00S"})
    p = get(slow, pool_id)
    assert status == 200 and p["autoScaleRun"]["timestamp"] == p["lastModified"]
    assert (p["targetDedicatedNodes"], p["allocationState"], p["autoScaleEvaluationInterval"]) == (2, "resizing", "PT5M")


def test_row_6_1_disable_removes_the_settings_and_keeps_the_targets(slow):
    pool_id = new_pool(slow, enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="$TargetDedicatedNodes=1;")
    etag = get(slow, pool_id)["eTag"]
    slow.raw("POST", f"/pools/{pool_id}/disableautoscale")
    p = get(slow, pool_id)
    assert p["enableAutoScale"] is False and p["eTag"] != etag and p["targetDedicatedNodes"] == 1
    assert not {"autoScaleFormula", "autoScaleEvaluationInterval", "autoScaleRun"} & set(p)
    slow.raw("POST", f"/pools/{pool_id}/disableautoscale")
    assert get(slow, pool_id)["eTag"] == p["eTag"]  # already off: no change


def test_row_6_1_evaluate_stores_nothing(slow):
    pool_id = new_pool(slow, enableAutoScale=True, targetDedicatedNodes=None, autoScaleFormula="$TargetDedicatedNodes=0;")
    before = get(slow, pool_id)
    run = slow.raw("POST", f"/pools/{pool_id}/evaluateautoscale", body={"autoScaleFormula": "$TargetDedicatedNodes=5;"})[2]
    assert run["results"].startswith("$TargetDedicatedNodes=5;")
    assert get(slow, pool_id) == before
    # Not an enable for the 30-s rule either: an enable 30 s after the add is allowed.
    slow.advance("PT30S")
    assert slow.raw("POST", f"/pools/{pool_id}/enableautoscale", body={"autoScaleFormula": "$TargetDedicatedNodes=0;"})[0] == 200


def test_row_6_1_periodic_run_changes_the_etag_only_when_the_targets_change(slow):
    pool_id = new_pool(slow, enableAutoScale=True, targetDedicatedNodes=None, autoScaleEvaluationInterval="PT5M",
                       autoScaleFormula="$TargetDedicatedNodes=1;")
    slow.advance("PT1M")
    before = get(slow, pool_id)
    slow.advance("PT4M")
    p = get(slow, pool_id)
    assert p["autoScaleRun"]["timestamp"] != before["autoScaleRun"]["timestamp"] and p["eTag"] == before["eTag"]


def test_row_6_1_delete_is_deleting_then_gone(slow):
    pool_id = new_pool(slow, targetDedicatedNodes=1)
    slow.advance("PT1M")
    assert slow.raw("DELETE", f"/pools/{pool_id}")[0] == 202
    p = get(slow, pool_id)
    assert (p["state"], p["allocationState"], p["targetDedicatedNodes"]) == ("deleting", "resizing", 0)
    node = slow.raw("GET", f"/pools/{pool_id}/nodes")[2]["value"][0]
    assert node["state"] == "leavingpool"
    slow.advance("PT1M")
    assert slow.raw("GET", f"/pools/{pool_id}")[0] == 404


def test_row_6_1_patch_and_update_properties_change_the_etag(slow):
    pool_id = new_pool(slow)
    etag = get(slow, pool_id)["eTag"]
    assert slow.raw("PATCH", f"/pools/{pool_id}", body={"metadata": [{"name": "a", "value": "b"}]}, version=V14)[0] == 200
    etag2 = get(slow, pool_id)["eTag"]
    body = {"certificateReferences": [], "applicationPackageReferences": [], "metadata": []}
    assert slow.raw("POST", f"/pools/{pool_id}/updateproperties", body=body, version=V14)[0] == 204
    assert len({etag, etag2, get(slow, pool_id)["eTag"]}) == 3


def test_replay_of_periodic_runs_through_eval():
    """emulator.md 9.1: at several instants, `batchscale eval` on the admin snapshot gives
    the pool's autoScaleRun byte for byte."""
    import json
    from emu import run_eval
    s = Server()
    try:
        formula = ("pending = $PendingTasks.GetSample(TimeInterval_Minute * 3, 50);\n"
                   "$TargetDedicatedNodes = min(4, max(pending));\n"
                   "$NodeDeallocationOption = taskcompletion;")
        pool_id = new_pool(s, enableAutoScale=True, targetDedicatedNodes=None, autoScaleEvaluationInterval="PT5M",
                           autoScaleFormula=formula)
        s.workload(pool_id, 3, "PT7M")
        seen = []
        for _ in range(3):
            s.advance("PT5M")
            run = get(s, pool_id)["autoScaleRun"]
            snapshot = s.snapshot(pool_id)
            assert snapshot["evaluationTime"] == run["timestamp"]
            assert run_eval(formula, snapshot) == json.dumps(run, separators=(",", ":"))
            seen.append(run["results"].split(";")[0])
        assert seen[0] == "$TargetDedicatedNodes=3" and len(set(seen)) > 1
    finally:
        assert s.stop() == 0
