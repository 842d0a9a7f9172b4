"""The process: ready line, exit codes, accounts, persistence across kill -9 (emulator.md
1.1 to 1.3)."""

import resource
import signal
import sqlite3
import subprocess
import time

import pytest

from emu import BIN, Server

POOL = {
    "id": "keep1",
    "vmSize": "standard_d2s_v3",
    "virtualMachineConfiguration": {"imageReference": {"publisher": "p", "offer": "o", "sku": "s"},
                                    "nodeAgentSKUId": "batch.node.ubuntu 22.04"},
    "targetDedicatedNodes": 2,
}


def run(*args, env=None):
    return subprocess.run([BIN, "serve", *args], capture_output=True, text=True, timeout=30, env=env)


def test_exit_2_on_usage_errors():
    for args in (["--clock", "manual", "--clock-rate", "2"], ["--clock-rate", "0"], ["--clock-rate", "fast"],
                 ["--accounts", "AB:AAAA"], ["--accounts", "abc:notbase64!"], ["--allocation-delay", "soon"]):
        out = run("--port", "0", *args)
        assert out.returncode == 2, args
        assert out.stdout == ""
        assert out.stderr.startswith("batchscale serve: error: "), out.stderr


def test_exit_2_when_the_port_is_in_use(start):
    s = start()
    out = run("--port", str(s.port))
    assert out.returncode == 2 and "cannot listen" in out.stderr


def test_accounts_from_the_environment_and_the_ready_line(start):
    s = start(env={"BATCHSCALE_ACCOUNTS": "alpha1:AAAA;beta2:AQID"})
    assert s.ready == f"batchscale serve: listening on {s.url} (accounts alpha1, beta2)\n"
    assert s.admin("GET", "/health")[1]["accounts"] == ["alpha1", "beta2"]
    # --accounts wins over the environment.
    t = start("--accounts", "gamma3:AAAA", env={"BATCHSCALE_ACCOUNTS": "alpha1:AAAA"})
    assert "(account gamma3)" in t.ready


def test_decided_each_account_holds_its_own_pools(start):
    s = start("--accounts", "alpha1:AAAA;beta2:AQID")
    assert s.raw("POST", "/pools", body=POOL, account="alpha1", key="AAAA")[0] == 201
    assert s.raw("GET", "/pools/keep1", account="beta2", key="AQID")[0] == 404
    assert s.admin("GET", "/pools/keep1/snapshot?account=alpha1")[0] == 200
    assert s.admin("GET", "/pools/keep1/snapshot?account=beta2")[0] == 404


def test_decided_persistence_survives_kill_9_and_fires_due_timers(tmp_path):
    data = str(tmp_path / "store")
    s = Server("--data", data, "--allocation-delay", "PT1M")
    assert s.raw("POST", "/pools", body=POOL)[0] == 201
    s.advance("PT30S")
    etag = s.raw("GET", "/pools/keep1")[1]["ETag"]
    s.kill9()
    t = Server("--data", data, "--allocation-delay", "PT1M")
    try:
        status, headers, body = t.raw("GET", "/pools/keep1")
        assert status == 200 and headers["ETag"] == etag
        assert (body["allocationState"], body["currentDedicatedNodes"]) == ("resizing", 0)
        t.advance("PT30S")  # the join, scheduled before the kill, falls due now
        body = t.raw("GET", "/pools/keep1")[2]
        assert (body["allocationState"], body["currentDedicatedNodes"]) == ("steady", 2)
        # One server per folder.
        out = run("--port", "0", "--data", data)
        assert out.returncode == 2 and "store is locked" in out.stderr
    finally:
        assert t.stop() == 0


def test_decided_timers_that_fell_due_while_down_fire_on_restart(tmp_path):
    data = str(tmp_path / "store")
    flags = ("--data", data, "--clock", "real", "--allocation-delay", "PT1S")
    s = Server(*flags, manual=False)
    assert s.raw("POST", "/pools", body=POOL)[0] == 201
    s.kill9()
    time.sleep(1.5)  # the join falls due while the server is down; a reopened store resumes at wall time
    t = Server(*flags, manual=False)
    try:
        body = t.raw("GET", "/pools/keep1")[2]
        assert (body["allocationState"], body["currentDedicatedNodes"]) == ("steady", 2)
    finally:
        assert t.stop() == 0


def test_decided_a_store_of_another_schema_version_is_refused(tmp_path):
    data = tmp_path / "store"
    s = Server("--data", str(data))
    assert s.stop() == 0
    db = sqlite3.connect(str(data / "emulator.sqlite3"))
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    out = run("--port", "0", "--data", str(data))
    assert out.returncode == 2 and "schema version 99" in out.stderr


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_clean_shutdown_on_signals(signal_name):
    import signal
    s = Server()
    s.proc.send_signal(getattr(signal, signal_name))
    assert s.proc.wait(timeout=15) == 0
    assert s.proc.stderr.read().strip().endswith("batchscale serve: stopped")
    assert s.proc.stdout.read() == ""


def test_decided_flags_are_not_stored_a_restart_takes_new_delays(tmp_path):
    data = str(tmp_path / "store")
    s = Server("--data", data, "--allocation-delay", "PT1M")
    assert s.raw("POST", "/pools", body=POOL)[0] == 201
    assert s.stop() == 0
    t = Server("--data", data)  # manual defaults: zero delays
    try:
        body = t.raw("GET", "/pools/keep1")[2]
        assert (body["allocationState"], body["currentDedicatedNodes"]) == ("resizing", 0)  # scheduled joins keep their instant
        t.advance("PT1M")
        assert t.raw("GET", "/pools/keep1")[2]["currentDedicatedNodes"] == 2
        assert t.raw("POST", "/pools/keep1/resize", body={"targetDedicatedNodes": 3})[0] == 202
        body = t.raw("GET", "/pools/keep1")[2]
        assert (body["allocationState"], body["currentDedicatedNodes"]) == ("steady", 3)  # the new delay: zero
    finally:
        assert t.stop() == 0


def test_exit_1_when_the_store_fails_while_running(tmp_path):
    """emulator.md 1.1: "Exit 1: the store failed while running." The store's files may not
    grow past 256 KiB (RLIMIT_FSIZE, with SIGXFSZ ignored, so a write past it fails as on a
    full disk). The change that cannot be committed is answered 500 and not acknowledged;
    the server says why and stops with exit 1; every acknowledged change is still there."""
    data = str(tmp_path / "store")

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    s = Server("--data", data, preexec_fn=small_files)
    acknowledged = []
    for i in range(500):
        status, _, body = s.raw("POST", "/pools", body=dict(POOL, id=f"full{i}"))
        if status != 201:
            assert status == 500 and body["code"] == "InternalError", (status, body)
            failed = f"full{i}"
            break
        acknowledged.append(f"full{i}")
    else:
        pytest.fail("500 pools fitted in 256 KiB: the limit did not bite")
    assert acknowledged, "not even the first change fitted"
    assert s.proc.wait(timeout=15) == 1
    stderr = s.proc.stderr.read()
    assert "batchscale serve: error: the store failed" in stderr, stderr
    # Started again without the limit: what was acknowledged is there, the failed one not.
    t = Server("--data", data)
    try:
        for pool in acknowledged:
            assert t.raw("GET", f"/pools/{pool}")[0] == 200, pool
        assert t.raw("GET", f"/pools/{failed}")[0] == 404
    finally:
        assert t.stop() == 0
