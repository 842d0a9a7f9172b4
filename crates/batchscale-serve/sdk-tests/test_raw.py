"""Raw HTTP against `batchscale serve` (standard library only): the error rows of
emulator.md section 4 that no SDK call produces, authentication (section 5), headers
(2.1), the admin endpoints (1.5)."""

import re

from emu import V14, V15, authorization

POOL = {
    "id": "raw1",
    "vmSize": "standard_d2s_v3",
    "virtualMachineConfiguration": {"imageReference": {"publisher": "p", "offer": "o", "sku": "s"},
                                    "nodeAgentSKUId": "batch.node.ubuntu 22.04"},
    "targetDedicatedNodes": 1,
}


def pool(pool_id, **kw):
    return dict(POOL, id=pool_id, **kw)


def test_not_implemented_and_unsupported_verb(server):
    status, headers, body = server.raw("GET", "/jobs")
    assert (status, body["code"]) == (501, "NotImplemented")
    assert body["message"]["value"].startswith("batchscale serve does not implement this operation: GET /jobs\nRequestId:")
    status, headers, body = server.raw("PUT", "/pools", body={})
    assert (status, body["code"]) == (405, "UnsupportedHttpVerb")
    assert headers["Allow"] == "GET, POST"
    assert body["message"]["value"].startswith("The resource doesn't support the specified HTTP verb.")


def test_error_body_shape_and_headers(server):
    status, headers, body = server.raw("GET", "/pools/nope")
    assert status == 404
    assert list(body) == ["odata.metadata", "code", "message"]
    assert body["odata.metadata"] == server.url + "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element"
    assert body["message"]["lang"] == "en-US"
    value = body["message"]["value"]
    assert value.startswith("The specified pool does not exist.\nRequestId:" + headers["request-id"] + "\nTime:")
    assert re.fullmatch(r".*\nTime:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z", value, re.S)
    for name in ["request-id", "DataServiceVersion", "X-Content-Type-Options", "Date", "Server"]:
        assert name in headers, name
    assert headers["DataServiceVersion"] == "3.0" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Server"].startswith("batchscale-serve/")
    assert headers["Content-Type"] == "application/json;odata=minimalmetadata"


def test_success_headers_etag_dataserviceid_and_client_request_id(server):
    status, headers, body = server.raw("POST", "/pools", body=pool("hdr1"),
                                       headers={"client-request-id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                                                "return-client-request-id": "True"})
    assert (status, body) == (201, None)
    assert headers["Content-Length"] == "0"
    assert headers["DataServiceId"] == server.url + "/pools/hdr1"
    assert "Location" not in headers
    assert re.fullmatch(r"0x[0-9A-F]+", headers["ETag"])
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", headers["Last-Modified"])
    assert headers["client-request-id"] == "0f8fad5b-d9cb-469f-a165-70867728950e"
    status, headers, _ = server.raw("GET", "/pools/hdr1", headers={"client-request-id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
    assert "client-request-id" not in headers
    status, headers, body = server.raw("POST", "/pools/hdr1/resize", body={"targetDedicatedNodes": 2})
    assert status == 202 and headers["DataServiceId"] == server.url + "/pools/hdr1/resize"
    for action in ["disableautoscale", "stopresize"]:
        status, headers, _ = server.raw("POST", f"/pools/hdr1/{action}")
        assert headers["DataServiceId"] == server.url + f"/pools/hdr1/{action}" and "ETag" in headers
    server.raw("POST", "/pools/hdr1/enableautoscale", body={"autoScaleFormula": "$TargetDedicatedNodes=2;"})
    status, headers, _ = server.raw("POST", "/pools/hdr1/evaluateautoscale", body={"autoScaleFormula": "a=1;"})
    assert headers["DataServiceId"] == server.url + "/pools/hdr1/evaluateautoscale" and "ETag" not in headers
    status, headers, body = server.raw("GET", "/pools")
    assert "ETag" not in headers and body["odata.metadata"] == server.url + "/$metadata#pools"
    status, headers, body = server.raw("DELETE", "/pools/hdr1")
    assert status == 202 and "ETag" not in headers


def test_missing_and_malformed_authorization(server):
    status, _, body = server.raw("GET", "/pools", sign=False)
    assert (status, body["code"]) == (400, "MissingRequiredHeader")
    assert body["values"] == [{"key": "HeaderName", "value": "Authorization"}]
    status, _, body = server.raw("GET", "/pools", headers={"Authorization": "Basic abc"})
    assert (status, body["code"]) == (400, "InvalidAuthenticationInfo")
    status, _, body = server.raw("GET", "/pools", headers={"Authorization": "Bearer eyJ0eXAi"})
    assert (status, body["code"]) == (401, "AuthenticationFailed")
    assert "does not support Bearer" in body["values"][0]["value"]


def test_403_rows_with_their_details(start):
    s = start("--log-requests")
    status, _, body = s.raw("GET", "/pools", account="someone", key="AAAA")
    assert (status, body["code"]) == (403, "AuthenticationFailed")
    assert body["values"][0] == {"key": "AuthenticationErrorDetail",
                                 "value": "The account 'someone' is not served by this emulator (accounts: devbatch)."}
    status, _, body = s.raw("GET", "/pools", date="Mon, 01 Jan 2001 00:00:00 GMT")
    assert status == 403 and "more than 15 minutes" in body["values"][0]["value"]
    status, _, body = s.raw("GET", "/pools", date="not a date")
    assert status == 403 and "not an RFC 1123 date" in body["values"][0]["value"]
    status, _, body = s.raw("GET", "/pools", key="AAAA")
    detail = body["values"][0]["value"]
    assert status == 403 and detail.startswith("The MAC signature found in the HTTP request '")
    assert "Server used following string to sign: 'GET\n" in detail
    code = s.stop()
    assert code == 0
    assert "GET /pools?api-version=2025-06-01 -> 403 AuthenticationFailed (" in s.stderr_text
    assert "string to sign: \"GET\\n" in s.stderr_text


def test_decided_lower_cased_query_names_and_secondary_key(start):
    s = start("--accounts", "devbatch:AAAA:" + "n4cT0xL3RKKKxv+5mHgzZRiJFAdHTfCpEkKOATh543L9D2J+Vmv1V3QHhfNRQNzx33rXYnVCcfdKrnW1ctFQxg==")
    assert "(account devbatch)" in s.ready
    query_text = "api-version=2025-06-01&timeOut=30"
    hdrs = {"ocp-date": __import__("email.utils").utils.formatdate(usegmt=True)}
    # Signed over the lower-cased names.
    hdrs["Authorization"] = authorization("GET", "/pools", query_text.replace("timeOut", "timeout"), hdrs)
    status, _, _ = s.raw("GET", "/pools", {"timeOut": "30"}, headers=hdrs, version=V15)
    assert status == 200


def test_api_version_rows(start):
    s = start()
    status, _, body = s.raw("GET", "/pools", version=None)
    assert (status, body["code"]) == (400, "MissingRequiredQueryParameter")
    assert body["values"] == [{"key": "QueryParameterName", "value": "api-version"}]
    for _ in range(2):
        status, _, _ = s.raw("GET", "/pools", version="2099-01-01")
        assert status == 200
    assert s.stop() == 0
    assert s.stderr_text.count("api-version '2099-01-01'") == 1
    strict = start("--strict")
    status, _, body = strict.raw("GET", "/pools", version="2099-01-01")
    assert (status, body["code"]) == (400, "UnsupportedRequestVersion")
    status, _, body = strict.raw("GET", "/pools", {"color": "red"})
    assert (status, body["code"]) == (400, "UnsupportedQueryParameter")
    status, _, body = strict.raw("POST", "/pools", body=dict(pool("strict1"), colour="red"))
    assert (status, body["code"]) == (400, "UnsupportedProperty")
    assert body["values"] == [{"key": "PropertyName", "value": "colour"}]


def test_decided_unknown_properties_are_ignored_with_a_warning(start):
    s = start()
    status, _, _ = s.raw("POST", "/pools", body=dict(pool("unk1"), colour="red"))
    assert status == 201
    _, _, body = s.raw("GET", "/pools/unk1")
    assert "colour" not in body
    assert s.stop() == 0
    assert "unknown property 'colour' ignored" in s.stderr_text


def test_query_and_header_value_rows(server):
    for query, code in [({"timeout": "x"}, "InvalidQueryParameterValue"),
                        ({"timeout": "0"}, "OutOfRangeQueryParameterValue"),
                        ({"maxresults": "0"}, "OutOfRangeQueryParameterValue"),
                        ({"maxresults": "1.5"}, "InvalidQueryParameterValue"),
                        ({"$skiptoken": "garbage"}, "InvalidQueryParameterValue")]:
        status, _, body = server.raw("GET", "/pools", query)
        assert (status, body["code"]) == (400, code), query
    status, _, body = server.raw("GET", "/poolusagemetrics", {"starttime": "2024-05-01T01:00:00Z",
                                                              "endtime": "2024-05-01T00:00:00Z"})
    assert (status, body["code"]) == (400, "InvalidQueryParameterValue")
    status, _, body = server.raw("GET", "/pools", headers={"client-request-id": "{not-a-guid}"})
    assert (status, body["code"]) == (400, "InvalidHeaderValue")
    assert body["values"][0] == {"key": "HeaderName", "value": "client-request-id"}
    server.raw("POST", "/pools", body=pool("hv1"))
    status, _, body = server.raw("GET", "/pools/hv1", headers={"If-Modified-Since": "yesterday"})
    assert (status, body["code"]) == (400, "InvalidHeaderValue")
    status, _, body = server.raw("POST", "/pools/hv1/resize", body={"targetDedicatedNodes": 1},
                                 headers={"Content-Type": "text/plain"})
    assert (status, body["code"]) == (400, "InvalidHeaderValue")


def test_decided_conditions_on_operations_without_them_are_ignored(server):
    server.raw("POST", "/pools", body=pool("cnd1"))
    status, _, _ = server.raw("POST", "/pools/cnd1/disableautoscale", headers={"If-Match": "0x1", "If-None-Match": "*"})
    assert status == 200


def test_body_rows(server):
    status, _, body = server.raw("POST", "/pools", body=b"{not json")
    assert (status, body["code"]) == (400, "InvalidRequestBody")
    status, _, body = server.raw("POST", "/pools", body=b'{"id":"a","id":"b"}')
    assert (status, body["code"]) == (400, "InvalidRequestBody")
    status, _, body = server.raw("POST", "/pools", body=b"[1]")
    assert (status, body["code"]) == (400, "InvalidRequestBody")
    status, _, body = server.raw("POST", "/pools", body=b"x" * (1024 * 1024 + 1))
    assert (status, body["code"]) == (413, "RequestBodyTooLarge")
    status, _, body = server.raw("POST", "/pools", body=dict(pool("tb1"), targetDedicatedNodes="1"))
    assert (status, body["code"]) == (400, "InvalidPropertyValue")
    status, _, body = server.raw("POST", "/pools", body=dict(pool("tb2"), targetDedicatedNodes=-1))
    assert (status, body["code"]) == (400, "InvalidPropertyValue")
    both = dict(pool("tb3"), cloudServiceConfiguration={"osFamily": "6"})
    status, _, body = server.raw("POST", "/pools", body=both, version=V14)
    assert (status, body["code"]) == (400, "InvalidPropertyValue")
    cs = {k: v for k, v in both.items() if k != "virtualMachineConfiguration"}
    assert server.raw("POST", "/pools", body=cs, version=V14)[0] == 201
    # Under 2025 cloudServiceConfiguration is unknown: ignored, so the VM configuration is missing.
    cs["id"] = "tb4"
    status, _, body = server.raw("POST", "/pools", body=cs, version=V15)
    assert (status, body["code"]) == (400, "MissingRequiredProperty")
    status, _, body = server.raw("POST", "/pools", body=dict(pool("tb5"), startTask={}))
    assert (status, body["values"][0]["value"]) == (400, "startTask.commandLine")
    server.raw("POST", "/pools", body=pool("tb6", targetDedicatedNodes=2))
    _, _, nodes = server.raw("GET", "/pools/tb6/nodes")
    ids = [n["id"] for n in nodes["value"]]
    status, _, body = server.raw("POST", "/pools/tb6/removenodes", body={"nodeList": [ids[0], ids[0]]})
    assert (status, body["code"]) == (400, "InvalidPropertyValue")
    status, _, body = server.raw("POST", "/pools/tb6/removenodes", body={"nodeList": [ids[0], "tvmps_nope_d"]})
    assert (status, body["code"]) == (404, "NodeNotFound")
    assert server.raw("GET", "/pools/tb6")[2]["currentDedicatedNodes"] == 2  # nothing removed


def test_decided_path_words_and_ids_match_case_insensitively(server):
    server.raw("POST", "/pools", body=pool("MixedCase"))
    status, _, body = server.raw("GET", "/POOLS/mixedcase")
    assert status == 200 and body["id"] == "MixedCase"
    assert server.raw("POST", "/Pools/MIXEDCASE/ReSize", body={"targetDedicatedNodes": 0})[0] == 202


def test_decided_select_keeps_only_the_named_fields(server):
    server.raw("POST", "/pools", body=pool("sel1"))
    _, _, body = server.raw("GET", "/pools/sel1", {"$select": "id,allocationState"})
    assert list(body) == ["odata.metadata", "id", "allocationState"]


def test_admin_endpoints(server):
    status, body = server.admin("GET", "/health")
    assert status == 200 and body["status"] == "ok" and body["apiVersions"] == [V14, V15]
    assert body["accounts"] == ["devbatch"] and body["data"] is None and body["clock"]["mode"] == "manual"
    now = server.now()
    for bad in [{"advance": "PT5M", "to": now}, {}, {"advance": "5 minutes"}, {"to": "2000-01-01T00:00:00Z"}]:
        status, body = server.admin("POST", "/clock", bad)
        assert status == 400 and body["code"] in ("InvalidRequestBody", "InvalidPropertyValue"), bad
        assert "odata.metadata" not in body
    assert server.now() == now
    status, body = server.admin("GET", "/pools/nope/snapshot")
    assert (status, body["code"]) == (404, "PoolNotFound")
    status, body = server.admin("GET", "/pools/nope/snapshot?account=other")
    assert (status, body["code"]) == (404, "AccountNotFound")
    server.raw("POST", "/pools", body=pool("adm1", targetDedicatedNodes=0))
    assert server.admin("PUT", "/pools/adm1/metrics", {"$CPUPercent": {"samples": [{"time": now, "value": 50}]}})[0] == 204
    status, body = server.admin("PUT", "/pools/adm1/metrics", {"$CPUPercent": {"samples": [{"time": now, "value": 1}]}})
    assert status == 400 and "already present" in body["values"][0]["value"]
    status, body = server.admin("PUT", "/pools/adm1/metrics", {"$Nope": {"values": []}})
    assert status == 400
    snap = server.snapshot("adm1")
    assert snap["metrics"]["$CPUPercent"] == {"samples": [{"time": now, "value": 50.0}]}
    for bad in [{"count": -1, "duration": "PT1M"}, {"count": 1}, {"count": 1, "duration": "PT0S"},
                {"count": 1, "duration": "PT1M", "slotsPerTask": 0}]:
        assert server.admin("POST", "/pools/adm1/workload", bad)[0] == 400, bad
    assert server.admin("POST", "/pools/adm1/workload", {"count": 0, "duration": "PT1M"})[1] == \
        {"active": 0, "running": 0, "succeeded": 0, "failed": 0}
